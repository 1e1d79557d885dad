import { ConfigError } from './errors.js';

/*
 * Shards: one scenario split over N processes or hosts. Shard i of N runs the viewers whose id
 * is i modulo N, at the times the whole plan gives them, so N shards together follow the
 * scenario's ramp; each writes a shard report and `hls-swarm merge` gates on the union.
 * Where the shard comes from, first match wins: an explicit `--shard i/N` (or option), then
 * HLS_SWARM_SHARD=i/N, then Kubernetes Indexed Jobs' JOB_COMPLETION_INDEX with
 * HLS_SWARM_SHARDS=N. Docker Swarm's {{.Task.Slot}} is not 0..N-1 for replicated jobs (it
 * rendered 1, 2 and a node id here), so it is not read: pass HLS_SWARM_SHARD explicitly.
 */

export interface ShardSpec {
  /** 0-based. */
  index: number;
  count: number;
}

const SHARD_RE = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** `i/N` (0 <= i < N) → ShardSpec; a ConfigError naming `source` otherwise. */
export function parseShard(text: string, source = '--shard'): ShardSpec {
  const match = SHARD_RE.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new ConfigError(
      [
        `${source}: expected i/N with 0 <= i < N (shard 0/3 is the first of three), got ${JSON.stringify(text)}`,
      ],
      source,
    );
  }
  return { index, count };
}

/** The shard this process runs per its environment (see the file comment); undefined when not sharded. */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): ShardSpec | undefined {
  const explicit = env.HLS_SWARM_SHARD?.trim();
  if (explicit) return parseShard(explicit, 'HLS_SWARM_SHARD');
  const jobIndex = env.JOB_COMPLETION_INDEX?.trim();
  const shards = env.HLS_SWARM_SHARDS?.trim();
  if (jobIndex === undefined || jobIndex === '') {
    if (shards)
      throw new ConfigError(
        [
          'HLS_SWARM_SHARDS is set but no shard index: set HLS_SWARM_SHARD=i/N, or run as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)',
        ],
        'HLS_SWARM_SHARDS',
      );
    return undefined;
  }
  if (!shards)
    throw new ConfigError(
      [
        `JOB_COMPLETION_INDEX=${jobIndex} but HLS_SWARM_SHARDS is not set: give the Job's completions as HLS_SWARM_SHARDS`,
      ],
      'JOB_COMPLETION_INDEX',
    );
  return parseShard(`${jobIndex}/${shards}`, 'JOB_COMPLETION_INDEX/HLS_SWARM_SHARDS');
}

/** Whether viewer `clientId` belongs to `shard` (all viewers when not sharded). */
export function inShard(clientId: number, shard: ShardSpec | undefined): boolean {
  return shard === undefined || clientId % shard.count === shard.index;
}

/**
 * A common start time: an ISO 8601 date or epoch milliseconds (HLS_SWARM_START_AT, --start-at)
 * → epoch ms. Every shard prepares its viewers, then waits for it.
 */
export function parseStartAt(text: string, source = '--start-at'): number {
  const trimmed = text.trim();
  const atMs = /^\d{10,}$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
  if (!Number.isFinite(atMs)) {
    throw new ConfigError(
      [
        `${source}: expected an ISO 8601 time (2026-11-28T12:00:00Z) or epoch milliseconds, got ${JSON.stringify(text)}`,
      ],
      source,
    );
  }
  return atMs;
}

export function startAtFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.HLS_SWARM_START_AT?.trim();
  return text ? parseStartAt(text, 'HLS_SWARM_START_AT') : undefined;
}
