import { availableParallelism } from 'node:os';
import { parseDurationMs, type SwarmSpec } from '../../config/index.js';
import { summarize } from '../stats/index.js';
import type { StartGateSummary } from '../types.js';
import { defaultMaxHeldViewers, firstStartsOf } from './limits.js';
import { ViewerPreparer } from './prepare.js';
import { waitUntilPrepared } from './prepare-phase.js';
import type { GateRelease, StartGate } from './start-gate.js';

/*
 * One run's use of the start gate: the preparer that spawns viewers ahead of the plan, the
 * prepare phase, each release as its viewer comes due, and what it all measured. The swarm
 * tells it when a viewer is due and hears back when one was let through.
 */

/** A release later than this counts as late. */
export const LATE_RELEASE_SECONDS = 0.02;

export interface GateSessionHooks {
  /** Spawn viewer `clientId` with its gated command. */
  spawn(clientId: number): void;
  /** The gate let `release.clientId` through. */
  released(release: GateRelease): void;
  log(line: string): void;
}

export class GateSession {
  readonly preparer: ViewerPreparer;
  /** Requests whose URL starts with this went to the gate, not the origin. */
  readonly urlPrefix: string;
  private readonly latenessSeconds: number[] = [];
  private prepared: Omit<StartGateSummary, 'releaseLatenessSeconds' | 'lateReleases'> | undefined;

  constructor(
    readonly gate: StartGate,
    events: ReadonlyArray<{ clientId: number; atMs: number; action: 'start' | 'stop' }>,
    private readonly spec: SwarmSpec['startGate'],
    private readonly hooks: GateSessionHooks,
  ) {
    this.urlPrefix = `http://127.0.0.1:${gate.port}/`;
    this.preparer = new ViewerPreparer({
      starts: firstStartsOf(events),
      maxStarting: spec.maxStarting ?? availableParallelism(),
      maxHeld: spec.maxHeld ?? defaultMaxHeldViewers(),
      spawn: (clientId) => hooks.spawn(clientId),
    });
    gate.on('arrived', ({ clientId }) => this.preparer.arrived(clientId));
    gate.on('released', (release) => {
      this.preparer.released(release.clientId);
      this.latenessSeconds.push(release.latenessSeconds);
      hooks.released(release);
    });
  }

  /** Spawns ahead of the plan until every viewer waits, a bound is reached, or `stopped()`. */
  async prepare(stopped: () => boolean): Promise<'prepared' | 'stopped'> {
    const maxPrepareMs = parseDurationMs(this.spec.maxPrepare, 'swarm.startGate.maxPrepare');
    const startedAtMs = Date.now();
    const preparer = this.preparer;
    preparer.pump();
    const end = await waitUntilPrepared(preparer, { maxPrepareMs, stopped, log: this.hooks.log });
    if (end === 'stopped') return 'stopped';
    const rate = preparer.arrivalRatePerSecond();
    this.prepared = {
      prepareStartedAtMs: startedAtMs,
      prepareEndedAtMs: Date.now(),
      heldAtStart: preparer.heldCount,
      gatedViewers: preparer.total,
      arrivalRatePerSecond: rate,
      prepareEnd: end,
    };
    this.hooks.log(
      `start gate: the run starts with ${preparer.heldCount} of ${preparer.total} viewers waiting ` +
        `(prepared in ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s at ${rate.toFixed(1)}/s; ${end})`,
    );
    return 'prepared';
  }

  /** Whether `clientId`'s first start goes through the gate and has not yet. */
  awaitsRelease(clientId: number): boolean {
    return this.preparer.isGated(clientId) && !this.gate.isReleased(clientId);
  }

  isReleased(clientId: number): boolean {
    return this.gate.isReleased(clientId);
  }

  /** Viewer `clientId` is due: to `location` now, or as soon as it reaches the gate. */
  due(clientId: number, location: string, dueAtMs: number): void {
    this.gate.release(clientId, location, dueAtMs);
  }

  /** The prepare phase and the release lateness, once the run has started. */
  summary(): StartGateSummary | undefined {
    if (!this.prepared) return undefined;
    return {
      ...this.prepared,
      releaseLatenessSeconds: summarize(this.latenessSeconds),
      lateReleases: this.latenessSeconds.filter((seconds) => seconds > LATE_RELEASE_SECONDS).length,
    };
  }

  /** No viewer is spawned from now on (the swarm is stopping: viewers gone early must not make room for new ones). */
  stopSpawning(): void {
    this.preparer.stop();
  }

  async close(): Promise<void> {
    this.preparer.stop();
    await this.gate.close();
  }
}
