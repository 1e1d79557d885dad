import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { redactText, redactUrl } from '../../system/index.js';
import { TOOL_VERSION } from '../../version.js';
import { cmcdSessionHeaderValue, cmcdSessionId } from '../command/cmcd.js';
import { USER_AGENT_ID_PLACEHOLDER } from '../command/user-agent.js';
import { SwarmStartError } from '../runtime/errors.js';
import { LightHttp } from './http.js';
import { PlaylistCache } from './playlist.js';
import { LightScheduler } from './scheduler.js';
import type { LightFleetEvents, LightFleetOptions } from './types.js';
import { LIGHT_VARIANT_POLICIES } from './variant-choice.js';
import { LightViewer, type LightViewerContext, type ResolvedLightOptions } from './viewer.js';

/*
 * A fleet of light viewers sharing what must be shared and nothing else: one scheduler (one
 * timer for all), one HTTP agent (one capped, keep-alive pool per origin) and one parse cache.
 * Each viewer downloads its own bytes. The swarm engine creates the viewers it plans, starts
 * and stops each on its ramp, listens to the fleet's events (request records, faults, startup,
 * stalls, switches) and reads each viewer's watch account and playback sample on its interval.
 */

export const DEFAULT_MAX_PLAYLIST_BYTES = 1024 * 1024;

/** The User-Agent of light viewer `clientId`: `hls-swarm/<version>/light-<id>`, or the user's template. */
export function lightUserAgent(
  template: string | undefined,
  clientId: number,
  version = TOOL_VERSION,
): string {
  if (template === undefined) return `hls-swarm/${version}/light-${clientId}`;
  if (template.includes(USER_AGENT_ID_PLACEHOLDER))
    return template.split(USER_AGENT_ID_PLACEHOLDER).join(String(clientId));
  return `${template}/light-${clientId}`;
}

/** Options a test or the engine injects (a fake clock's scheduler, a shared HTTP agent). */
export interface LightFleetParts {
  scheduler?: LightScheduler;
  http?: LightHttp;
  /** Monotonic ms of the scheduler's clock → epoch ms; default for performance.now(). */
  epochOf?: (monotonicMs: number) => number;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new SwarmStartError(`light viewers: ${name} must be a positive number, got ${value}`);
  return value;
}

export class LightFleet extends EventEmitter<LightFleetEvents> {
  readonly scheduler: LightScheduler;
  readonly http: LightHttp;
  readonly playlists = new PlaylistCache();
  private readonly viewers = new Map<number, LightViewer>();
  private readonly context: LightViewerContext;
  private closed = false;
  /** Requests still in flight of viewers replaced by a restart. */
  private readonly retired = new Set<Promise<unknown>>();
  /** The pool was made here (not injected): close() closes it. */
  private readonly ownsHttp: boolean;

  constructor(options: LightFleetOptions, parts: LightFleetParts = {}) {
    super();
    let entry: URL;
    try {
      entry = new URL(options.url);
    } catch {
      throw new SwarmStartError(
        `light viewers: the stream URL '${redactText(String(options.url))}' is not a valid URL; give the http(s) URL of an HLS playlist`,
      );
    }
    if (entry.protocol !== 'http:' && entry.protocol !== 'https:')
      throw new SwarmStartError(
        `light viewers: the stream URL must be http:// or https://, got '${entry.protocol}' in ${redactUrl(entry.href)}`,
      );
    const variant = options.variant ?? 'abr';
    if (!LIGHT_VARIANT_POLICIES.includes(variant))
      throw new SwarmStartError(
        `light viewers: variant must be one of ${LIGHT_VARIANT_POLICIES.join(', ')}, got '${variant}'`,
      );
    const resolved: ResolvedLightOptions = {
      url: entry.href,
      variant,
      headers: Object.fromEntries(
        Object.entries(options.headers ?? {})
          .filter(([name]) => name.toLowerCase() !== 'user-agent')
          .map(([name, value]) => [name.toLowerCase(), value]),
      ),
      userAgentFor: (clientId) => lightUserAgent(options.userAgent, clientId),
      ...(options.runId !== undefined
        ? {
            cmcdSessionFor: (clientId: number) =>
              cmcdSessionHeaderValue(cmcdSessionId(options.runId as string, clientId)),
          }
        : {}),
      maxPlaylistBytes: positive(options.maxPlaylistBytes, DEFAULT_MAX_PLAYLIST_BYTES, 'maxPlaylistBytes'),
      maxBufferSeconds: positive(options.maxBufferSeconds, 30, 'maxBufferSeconds'),
      liveSyncTargetDurations: positive(options.liveSyncTargetDurations, 3, 'liveSyncTargetDurations'),
      staleAfterTargetDurations: positive(options.staleAfterTargetDurations, 3, 'staleAfterTargetDurations'),
      validateSegments: options.validateSegments ?? false,
      abr: options.abr ?? {},
    };
    this.scheduler = parts.scheduler ?? new LightScheduler();
    this.ownsHttp = parts.http === undefined;
    this.http =
      parts.http ??
      new LightHttp({
        ...(options.connectionsPerOrigin !== undefined
          ? { connectionsPerOrigin: options.connectionsPerOrigin }
          : {}),
        ...(options.timeoutMs !== undefined
          ? { timeoutMs: positive(options.timeoutMs, 15_000, 'timeoutMs') }
          : {}),
      });
    const epochOf = parts.epochOf ?? ((monotonicMs: number) => performance.timeOrigin + monotonicMs);
    this.context = {
      scheduler: this.scheduler,
      http: this.http,
      playlists: this.playlists,
      options: resolved,
      epochOf,
      emit: (event, ...args) => {
        // The generic spread does not narrow through EventEmitter's conditional parameter type.
        (this.emit as (name: string, ...values: unknown[]) => boolean)(event, ...args);
      },
    };
  }

  /** Viewer `clientId` (created idle on first call). */
  viewer(clientId: number): LightViewer {
    let viewer = this.viewers.get(clientId);
    if (!viewer) {
      if (!Number.isInteger(clientId) || clientId < 0)
        throw new SwarmStartError(`light viewers: a viewer id is a non-negative integer, got ${clientId}`);
      viewer = new LightViewer(clientId, this.context);
      this.viewers.set(clientId, viewer);
    }
    return viewer;
  }

  /**
   * Starts viewer `clientId` (a no-op while it runs, or after close). A stopped viewer starts
   * over as a new one (a ramp's later stage brings it back): a fresh buffer and estimator, as a
   * player reopened; the stopped one's requests still in flight are waited for by close().
   */
  start(clientId: number): LightViewer {
    let viewer = this.viewer(clientId);
    if (this.closed) return viewer;
    if (viewer.state === 'stopped') {
      const settled = viewer.settled();
      this.retired.add(settled);
      void settled.finally(() => this.retired.delete(settled));
      viewer = new LightViewer(clientId, this.context);
      this.viewers.set(clientId, viewer);
    }
    viewer.start();
    return viewer;
  }

  stop(clientId: number): void {
    this.viewers.get(clientId)?.stop();
  }

  /** Every viewer created so far. */
  all(): IterableIterator<LightViewer> {
    return this.viewers.values();
  }

  /** Viewers started and not stopped. */
  get active(): number {
    let count = 0;
    for (const viewer of this.viewers.values())
      if (viewer.state === 'starting' || viewer.state === 'running') count++;
    return count;
  }

  /**
   * Stops every viewer, waits for the requests they had in flight to end (their records come
   * first; at most `graceMs`, then the pool is destroyed, which ends them), then stops the
   * scheduler and closes the pool it made. Idempotent.
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const viewer of this.viewers.values()) viewer.stop();
    const settled = Promise.all([
      ...[...this.viewers.values()].map((viewer) => viewer.settled()),
      ...this.retired,
    ]);
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      settled.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.scheduler.stop();
    if (!this.ownsHttp) return;
    if (inTime) await this.http.close();
    else {
      // Requests queued on a connection that never opens: destroying the pool ends them.
      await this.http.destroy();
      await settled;
    }
  }
}
