import { inShard, parseDurationMs, type ShardSpec, type SwarmSpec } from '../../config/index.js';

/*
 * The ramp plan: when each client starts and stops, as absolute offsets from the swarm's
 * start. Every start is scheduled against its own target time (never "after the previous
 * spawn returned"), so spawn latency cannot queue starts and pull the achieved rate below
 * the target — the reference tool reached ~80 % of its rate that way.
 */

export type RampAction = 'start' | 'stop';

export interface RampEvent {
  /** Offset from the swarm's start, in ms. */
  atMs: number;
  clientId: number;
  action: RampAction;
}

export interface RampPlan {
  /** Sorted by atMs (stable: equal times keep client order). */
  events: RampEvent[];
  /** When the run ends (every client is stopped then), ms after the start. */
  totalDurationMs: number;
  /** The most clients the plan runs at once. */
  peakClients: number;
  /** When the last start of the first climb to peakClients is due, ms after the start. */
  rampEndMs: number;
  /** Set when this plan is one shard's slice of the scenario's (see shardPlan). */
  shard?: ShardSpec;
}

/** A 32-bit hash of a client id (murmur3's finaliser): the seed of everything random per client. */
export function hashClientId(clientId: number, salt = 0): number {
  let h = (clientId ^ salt ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Deterministic start jitter of one client in [0, maxJitterMs): the same id always gets the same delay. */
export function clientJitterMs(clientId: number, maxJitterMs: number): number {
  if (maxJitterMs <= 0) return 0;
  return (hashClientId(clientId, 0x52414d50) / 4294967296) * maxJitterMs;
}

export interface RampInput {
  clients: number;
  rampRatePerSecond: number;
  rampJitterMs: number;
  durationMs: number;
  stages?: { durationMs: number; target: number }[];
}

/** The ramp-related fields of a SwarmSpec with durations in ms. */
export function rampInputFromSpec(spec: SwarmSpec): RampInput {
  return {
    clients: spec.clients,
    rampRatePerSecond: spec.rampRate,
    rampJitterMs: parseDurationMs(spec.rampJitter, 'swarm.rampJitter'),
    durationMs: parseDurationMs(spec.duration, 'swarm.duration'),
    stages: spec.stages?.map((stage, index) => ({
      durationMs: parseDurationMs(stage.duration, `swarm.stages[${index}].duration`),
      target: stage.target,
    })),
  };
}

/**
 * Builds the plan. Without stages: client i starts at i / rampRate (+ its jitter) and all stop at
 * `duration`. With stages (k6 style): the target moves linearly from the previous stage's
 * target to this one's over the stage; client i runs while the target is above i, so the
 * highest ids are the first to stop on the way down. Jitter delays starts only.
 */
export function buildRampPlan(input: RampInput): RampPlan {
  const events: RampEvent[] = [];
  if (!input.stages || input.stages.length === 0) {
    const intervalMs = 1000 / input.rampRatePerSecond;
    for (let id = 0; id < input.clients; id++) {
      const atMs = id * intervalMs + clientJitterMs(id, input.rampJitterMs);
      if (atMs < input.durationMs) events.push({ atMs, clientId: id, action: 'start' });
    }
  } else {
    let level = 0;
    let stageStartMs = 0;
    for (const stage of input.stages) {
      const from = level;
      const to = stage.target;
      if (to > from) {
        for (let next = from + 1; next <= to; next++) {
          // Client next-1 starts when the target reaches `next`.
          const fraction = stage.durationMs === 0 ? 0 : (next - from) / (to - from);
          const atMs = stageStartMs + fraction * stage.durationMs;
          events.push({
            atMs: atMs + clientJitterMs(next - 1, input.rampJitterMs),
            clientId: next - 1,
            action: 'start',
          });
        }
      } else if (to < from) {
        for (let next = from - 1; next >= to; next--) {
          // Client `next` stops when the target falls to `next`.
          const fraction = stage.durationMs === 0 ? 0 : (from - next) / (from - to);
          events.push({ atMs: stageStartMs + fraction * stage.durationMs, clientId: next, action: 'stop' });
        }
      }
      level = to;
      stageStartMs += stage.durationMs;
    }
  }
  const totalDurationMs = input.stages?.length
    ? input.stages.reduce((sum, stage) => sum + stage.durationMs, 0)
    : input.durationMs;
  const inRun = events.filter((event) => event.atMs < totalDurationMs || event.action === 'stop');
  inRun.sort((a, b) => a.atMs - b.atMs || a.clientId - b.clientId);
  return planOf(inRun, totalDurationMs);
}

/**
 * Shard `shard.index` of `shard.count`: the events of the viewers whose id is index modulo count,
 * at the times the whole plan gives them (ids stay global, so the origin's log tells every
 * viewer apart). The shards' plans together are the whole plan, event for event.
 */
export function shardPlan(plan: RampPlan, shard: ShardSpec | undefined): RampPlan {
  if (!shard || shard.count === 1) return plan;
  const events = plan.events.filter((event) => inShard(event.clientId, shard));
  return { ...planOf(events, plan.totalDurationMs), shard };
}

/**
 * The part of a plan whose viewer ids `keep` accepts (one viewer kind's), at the same times;
 * a shard's plan stays that shard's.
 */
export function subPlan(plan: RampPlan, keep: (clientId: number) => boolean): RampPlan {
  const events = plan.events.filter((event) => keep(event.clientId));
  return { ...planOf(events, plan.totalDurationMs), ...(plan.shard ? { shard: plan.shard } : {}) };
}

/**
 * A viewer's position among the plan's own viewers (its id, or in a shard id ÷ count): the
 * per-generator choices (which viewers are timed) spread over a shard's viewers as they would
 * over a whole plan of that size.
 */
export function planIndexOf(plan: RampPlan, clientId: number): number {
  return plan.shard ? Math.floor(clientId / plan.shard.count) : clientId;
}

function planOf(inRun: RampEvent[], totalDurationMs: number): RampPlan {
  // A jittered start can land after the same client's scheduled stop: drop such pairs' order
  // problems by letting the scheduler ignore a stop for a client that is not running.
  let running = 0;
  let peakClients = 0;
  let rampEndMs = 0;
  let peakReached = false;
  const active = new Set<number>();
  for (const event of inRun) {
    if (event.action === 'start' && !active.has(event.clientId)) {
      active.add(event.clientId);
      running++;
    } else if (event.action === 'stop' && active.delete(event.clientId)) {
      running--;
    }
    if (running > peakClients) {
      peakClients = running;
      if (!peakReached) rampEndMs = event.atMs;
    } else if (running < peakClients && peakClients > 0) {
      peakReached = true;
    }
  }
  return { events: inRun, totalDurationMs, peakClients, rampEndMs };
}

/** Clients the plan wants running at `offsetMs` (for the clients_target gauge). */
export function targetClientsAt(plan: RampPlan, offsetMs: number): number {
  const active = new Set<number>();
  for (const event of plan.events) {
    if (event.atMs > offsetMs) break;
    if (event.action === 'start') active.add(event.clientId);
    else active.delete(event.clientId);
  }
  return active.size;
}

export interface SchedulerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: SchedulerClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Fires plan events at their absolute due times. Late events (a slow spawn, a busy loop) are
 * fired at the next turn instead of pushing every later event back. Each turn fires at most
 * `maxPerTick` events and spends at most `maxTickMs` (a spawn blocks the thread until the child
 * has exec'd), then yields so the viewers' pipes are read between spawns and their lines keep
 * accurate arrival times.
 */
export class RampScheduler {
  private index = 0;
  private timer: unknown;
  private stopped = false;
  startedAtMs = 0;

  constructor(
    private readonly plan: RampPlan,
    private readonly fire: (event: RampEvent, dueAtMs: number) => void,
    private readonly clock: SchedulerClock = realClock,
    private readonly maxPerTick = 64,
    private readonly maxTickMs = 20,
  ) {}

  start(): void {
    this.startedAtMs = this.clock.now();
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  get done(): boolean {
    return this.index >= this.plan.events.length;
  }

  private tick = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const tickStartMs = this.clock.now();
    const offsetMs = tickStartMs - this.startedAtMs;
    let fired = 0;
    let yielded = false;
    while (this.index < this.plan.events.length) {
      const event = this.plan.events[this.index] as RampEvent;
      if (event.atMs > offsetMs) break;
      if (fired >= this.maxPerTick || (fired > 0 && this.clock.now() - tickStartMs >= this.maxTickMs)) {
        yielded = true;
        break;
      }
      this.index++;
      fired++;
      this.fire(event, this.startedAtMs + event.atMs);
      if (this.stopped) return;
    }
    const next = this.plan.events[this.index];
    if (!next) return;
    const waitMs = yielded ? 0 : Math.max(0, next.atMs - (this.clock.now() - this.startedAtMs));
    this.timer = this.clock.setTimeout(this.tick, waitMs);
  };
}
