import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../config/index.js';
import {
  buildRampPlan,
  clientJitterMs,
  planIndexOf,
  type RampEvent,
  RampScheduler,
  rampInputFromSpec,
  type SchedulerClock,
  shardPlan,
  targetClientsAt,
} from './ramp.js';

/** A clock whose time only moves when the test says so, and whose timers fire in order. */
class FakeClock implements SchedulerClock {
  nowMs = 1_000_000;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.nowMs;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.nowMs + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }
  /** Advances to `untilMs`, firing due timers; `costMs` is added per timer run (a slow spawn). */
  advance(untilMs: number, costPerFireMs = 0, fires?: () => number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > untilMs) break;
      this.timers.shift();
      this.nowMs = Math.max(this.nowMs, next.at);
      const before = fires?.() ?? 0;
      next.callback();
      this.nowMs += ((fires?.() ?? 0) - before) * costPerFireMs;
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
  }
}

describe('ramp plan', () => {
  it('spaces starts by 1/rate and stops nobody before the end', () => {
    const plan = buildRampPlan({ clients: 5, rampRatePerSecond: 10, rampJitterMs: 0, durationMs: 30_000 });
    expect(plan.events.map((event) => [event.atMs, event.clientId, event.action])).toEqual([
      [0, 0, 'start'],
      [100, 1, 'start'],
      [200, 2, 'start'],
      [300, 3, 'start'],
      [400, 4, 'start'],
    ]);
    expect(plan.peakClients).toBe(5);
    expect(plan.rampEndMs).toBe(400);
    expect(plan.totalDurationMs).toBe(30_000);
  });

  it('jitter is deterministic per client and bounded', () => {
    for (let id = 0; id < 1000; id++) {
      const jitter = clientJitterMs(id, 500);
      expect(jitter).toBeGreaterThanOrEqual(0);
      expect(jitter).toBeLessThan(500);
      expect(clientJitterMs(id, 500)).toBe(jitter);
    }
    const spread = new Set(Array.from({ length: 100 }, (_, id) => Math.floor(clientJitterMs(id, 500) / 50)));
    expect(spread.size).toBeGreaterThanOrEqual(8); // spread over the range, not clumped
    expect(clientJitterMs(3, 0)).toBe(0);
  });

  it('follows k6-style stages up, hold and down', () => {
    const plan = buildRampPlan({
      clients: 1,
      rampRatePerSecond: 1,
      rampJitterMs: 0,
      durationMs: 1,
      stages: [
        { durationMs: 4000, target: 4 },
        { durationMs: 10_000, target: 4 },
        { durationMs: 2000, target: 2 },
      ],
    });
    const starts = plan.events.filter((event) => event.action === 'start');
    const stops = plan.events.filter((event) => event.action === 'stop');
    expect(starts.map((event) => [event.atMs, event.clientId])).toEqual([
      [1000, 0],
      [2000, 1],
      [3000, 2],
      [4000, 3],
    ]);
    expect(stops.map((event) => [event.atMs, event.clientId])).toEqual([
      [15_000, 3],
      [16_000, 2],
    ]);
    expect(plan.totalDurationMs).toBe(16_000);
    expect(plan.peakClients).toBe(4);
    expect(targetClientsAt(plan, 3500)).toBe(3);
    expect(targetClientsAt(plan, 15_500)).toBe(3);
  });

  it('reads durations from a parsed swarm spec', () => {
    const scenario = parseScenario({
      name: 'ramp',
      origin: { kind: 'external', url: 'http://127.0.0.1:1/x.m3u8' },
      swarm: { clients: 20, rampRate: 5, rampJitter: '200ms', duration: '1m' },
    });
    const input = rampInputFromSpec(scenario.swarm);
    expect(input).toMatchObject({ clients: 20, rampRatePerSecond: 5, rampJitterMs: 200, durationMs: 60_000 });
  });
});

describe('shard plans', () => {
  const key = (event: RampEvent) => `${event.atMs}/${event.clientId}/${event.action}`;

  it('three shards together are the whole plan, event for event (stages up, hold and down, jitter)', () => {
    const plan = buildRampPlan({
      clients: 0,
      rampRatePerSecond: 1,
      rampJitterMs: 300,
      durationMs: 0,
      stages: [
        { durationMs: 10_000, target: 20 },
        { durationMs: 5_000, target: 20 },
        { durationMs: 5_000, target: 7 },
      ],
    });
    const shards = [0, 1, 2].map((index) => shardPlan(plan, { index, count: 3 }));
    const union = shards.flatMap((shard) => shard.events.map(key)).sort();
    expect(union).toEqual(plan.events.map(key).sort());
    expect(shards.map((shard) => shard.peakClients)).toEqual([7, 7, 6]);
    expect(shards.every((shard) => shard.totalDurationMs === plan.totalDurationMs)).toBe(true);
    for (const [index, shard] of shards.entries())
      expect(shard.events.every((event) => event.clientId % 3 === index)).toBe(true);
    // Over time, the shards' targets add up to the plan's.
    for (const atMs of [0, 2_500, 9_999, 12_000, 17_500, 19_999])
      expect(shards.reduce((sum, shard) => sum + targetClientsAt(shard, atMs), 0)).toBe(
        targetClientsAt(plan, atMs),
      );
  });

  it('one shard of one is the plan itself; ids map to positions within the shard', () => {
    const plan = buildRampPlan({ clients: 10, rampRatePerSecond: 5, rampJitterMs: 0, durationMs: 10_000 });
    expect(shardPlan(plan, { index: 0, count: 1 })).toBe(plan);
    expect(shardPlan(plan, undefined)).toBe(plan);
    const second = shardPlan(plan, { index: 1, count: 4 });
    expect(second.events.map((event) => event.clientId)).toEqual([1, 5, 9]);
    expect(second.events.map((event) => planIndexOf(second, event.clientId))).toEqual([0, 1, 2]);
    expect(planIndexOf(plan, 9)).toBe(9);
  });
});

describe('ramp scheduler', () => {
  it('fires on absolute targets: a slow spawn does not push later starts back', () => {
    const rate = 100;
    const plan = buildRampPlan({
      clients: 200,
      rampRatePerSecond: rate,
      rampJitterMs: 0,
      durationMs: 60_000,
    });
    const clock = new FakeClock();
    const firedAt: number[] = [];
    const scheduler = new RampScheduler(plan, () => firedAt.push(clock.now()), clock);
    scheduler.start();
    // Each spawn costs 15 ms, longer than the 10 ms interval: sequential awaits would reach 66/s.
    clock.advance(clock.nowMs + 10_000, 15, () => firedAt.length);
    expect(firedAt.length).toBe(200);
    const achievedRate =
      (firedAt.length - 1) / (((firedAt.at(-1) as number) - (firedAt[0] as number)) / 1000);
    // Bounded by the spawn cost (1/15 ms = 66/s) -- the scheduler itself adds no delay beyond it.
    expect(achievedRate).toBeGreaterThan(60);
    expect(scheduler.done).toBe(true);
  });

  it('holds the target rate when spawns are fast', () => {
    for (const rate of [10, 50, 100]) {
      const plan = buildRampPlan({
        clients: rate * 3,
        rampRatePerSecond: rate,
        rampJitterMs: 0,
        durationMs: 60_000,
      });
      const clock = new FakeClock();
      const firedAt: number[] = [];
      const scheduler = new RampScheduler(plan, () => firedAt.push(clock.now()), clock);
      scheduler.start();
      clock.advance(clock.nowMs + 10_000, 2, () => firedAt.length);
      const achieved = (firedAt.length - 1) / (((firedAt.at(-1) as number) - (firedAt[0] as number)) / 1000);
      expect(Math.abs(achieved - rate) / rate).toBeLessThan(0.05);
    }
  });

  it('stop() cancels every pending event', () => {
    const plan = buildRampPlan({ clients: 10, rampRatePerSecond: 1, rampJitterMs: 0, durationMs: 60_000 });
    const clock = new FakeClock();
    const fired: RampEvent[] = [];
    const scheduler = new RampScheduler(plan, (event) => fired.push(event), clock);
    scheduler.start();
    clock.advance(clock.nowMs + 2500);
    scheduler.stop();
    clock.advance(clock.nowMs + 20_000);
    expect(fired.map((event) => event.clientId)).toEqual([0, 1, 2]);
  });
});
