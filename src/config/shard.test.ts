import { describe, expect, it } from 'vitest';
import { inShard, parseShard, parseStartAt, shardFromEnv, startAtFromEnv } from './shard.js';

describe('parseShard', () => {
  it('reads i/N with 0 <= i < N', () => {
    expect(parseShard('0/3')).toEqual({ index: 0, count: 3 });
    expect(parseShard(' 2 / 3 ')).toEqual({ index: 2, count: 3 });
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
  });

  it('names the source and the value when it is not a shard', () => {
    expect(() => parseShard('3/3')).toThrow(
      '--shard: expected i/N with 0 <= i < N (shard 0/3 is the first of three), got "3/3"',
    );
    expect(() => parseShard('1/0', 'HLS_SWARM_SHARD')).toThrow('HLS_SWARM_SHARD: expected i/N');
    expect(() => parseShard('one of three')).toThrow('got "one of three"');
  });
});

describe('shardFromEnv', () => {
  it('HLS_SWARM_SHARD first, then a Kubernetes Indexed Job index with HLS_SWARM_SHARDS', () => {
    expect(shardFromEnv({})).toBeUndefined();
    expect(
      shardFromEnv({ HLS_SWARM_SHARD: '1/4', JOB_COMPLETION_INDEX: '3', HLS_SWARM_SHARDS: '4' }),
    ).toEqual({
      index: 1,
      count: 4,
    });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '3', HLS_SWARM_SHARDS: '4' })).toEqual({
      index: 3,
      count: 4,
    });
  });

  it('says what is missing when only half of the Job variables are set, or the index is out of range', () => {
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '2' })).toThrow(
      'JOB_COMPLETION_INDEX=2 but HLS_SWARM_SHARDS is not set',
    );
    expect(() => shardFromEnv({ HLS_SWARM_SHARDS: '4' })).toThrow(
      'HLS_SWARM_SHARDS is set but no shard index',
    );
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '4', HLS_SWARM_SHARDS: '4' })).toThrow(
      'JOB_COMPLETION_INDEX/HLS_SWARM_SHARDS: expected i/N with 0 <= i < N',
    );
  });
});

describe('inShard', () => {
  it('viewer ids i mod N; every id in exactly one shard', () => {
    const owners = Array.from({ length: 10 }, (_, id) =>
      [0, 1, 2].filter((index) => inShard(id, { index, count: 3 })),
    );
    expect(owners.every((shards) => shards.length === 1)).toBe(true);
    expect(owners.map((shards) => shards[0])).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect(inShard(7, undefined)).toBe(true);
  });
});

describe('parseStartAt', () => {
  it('ISO 8601 or epoch milliseconds', () => {
    expect(parseStartAt('2026-11-28T12:00:00Z')).toBe(Date.UTC(2026, 10, 28, 12));
    expect(parseStartAt('1795863136517')).toBe(1795863136517);
    expect(startAtFromEnv({ HLS_SWARM_START_AT: '2026-11-28T12:00:00.250Z' })).toBe(
      Date.UTC(2026, 10, 28, 12, 0, 0, 250),
    );
    expect(startAtFromEnv({})).toBeUndefined();
  });

  it('names the source of a time it cannot read', () => {
    expect(() => startAtFromEnv({ HLS_SWARM_START_AT: 'noon' })).toThrow(
      'HLS_SWARM_START_AT: expected an ISO 8601 time (2026-11-28T12:00:00Z) or epoch milliseconds, got "noon"',
    );
  });
});
