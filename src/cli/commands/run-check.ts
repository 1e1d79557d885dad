/*
 * `hls-swarm run --check` (go-ffmpeg-hls-swarm's -check): the preflight, one GET of the URL,
 * then ONE real viewer for 10 s through the same swarm engine a run uses (startSwarm), and a
 * report of what it got. Exit 0 when it played at least one segment, 1 with a one-line reason
 * when not. The swarm stops the viewer at the end, and at the caller's abort (Ctrl-C).
 */
import { parseDurationMs, type SwarmSpec } from '../../config/index.js';
import { formatBytes, formatSeconds } from '../../report/index.js';
import {
  preflight,
  probeStreamUrl,
  type RequestRecord,
  type SwarmSnapshot,
  startSwarm,
} from '../../swarm/index.js';
import { redactUrl } from '../../system/index.js';

/** How long the check's viewer plays: fixed, as the Go tool's, so a check is always bounded. */
export const CHECK_DURATION = '10s';

export interface CheckReport {
  /** The report's rows, `  name  value`. */
  lines: string[];
  /** Why the check failed (one line), or undefined when a segment was played. */
  failure?: string;
}

function describeFailure(record: RequestRecord): string {
  const what =
    record.status !== undefined
      ? `HTTP ${record.status}`
      : record.error === 'timeout'
        ? 'timed out'
        : record.error === 'connect'
          ? 'connection failed'
          : record.error === 'expired'
            ? 'expired from the playlist before it was fetched'
            : 'failed';
  return `${what} on ${redactUrl(record.url)}`;
}

/** Pure: the check's report from the viewer's final snapshot and the requests it made. */
export function judgeCheck(
  snapshot: SwarmSnapshot,
  requests: readonly RequestRecord[],
  options: { durationText: string; variantNote?: string },
): CheckReport {
  const rows: [string, string][] = [];
  if (options.variantNote) rows.push(['variant', options.variantNote]);
  const { manifest, segment } = snapshot.requests;
  const playlistUrls = [
    ...new Set(requests.filter((r) => r.kind === 'manifest').map((r) => redactUrl(r.url))),
  ];
  rows.push([
    'playlists',
    `${manifest.total} requests (${manifest.ok} ok, ${manifest.failed} failed), ${formatBytes(manifest.bytes)}` +
      (playlistUrls.length > 0
        ? `: ${playlistUrls.slice(0, 3).join(', ')}${playlistUrls.length > 3 ? ', …' : ''}`
        : ''),
  ]);
  rows.push([
    'segments',
    `${segment.total} requests (${segment.ok} ok, ${segment.failed} failed), ${formatBytes(segment.bytes)}`,
  ]);
  const statuses = new Map<string, number>();
  for (const record of requests) {
    const key = record.status !== undefined ? String(record.status) : (record.error ?? 'no answer');
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  rows.push([
    'http statuses',
    statuses.size === 0
      ? 'none'
      : [...statuses.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, count]) => `${key}×${count}`)
          .join(' '),
  ]);
  const startup = snapshot.startupSeconds;
  rows.push([
    'startup',
    startup.count === 0 ? 'no segment completed' : `${formatSeconds(startup.max)} (spawn → first segment)`,
  ]);
  const speed = snapshot.playbackSpeed;
  const qoe = snapshot.qoe;
  rows.push([
    'playback',
    (speed.count === 0
      ? 'speed not measured (a speed window is 10 s of playback)'
      : `speed mean ${speed.mean.toFixed(3)}, min ${speed.min.toFixed(3)} (${speed.count} window${speed.count === 1 ? '' : 's'})`) +
      (qoe
        ? `; watched ${formatSeconds(qoe.watchSeconds)}, rebuffering ${formatSeconds(qoe.rebufferSeconds)} (${qoe.rebufferEvents} stalls)`
        : ''),
  ]);
  const exits = Object.entries(snapshot.exitCategories)
    .map(([category, count]) => `${category} ${count}`)
    .join(', ');
  rows.push(['viewer', `${snapshot.restarts} restarts; exits: ${exits || 'none'}`]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  const lines = rows.map(([name, value]) => `  ${name.padEnd(width)}${value}`);
  if (segment.ok > 0) return { lines };
  const failed = requests.filter((r) => !r.ok);
  const lastFailure = failed.filter((r) => r.kind === 'segment').at(-1) ?? failed.at(-1);
  const why = lastFailure
    ? describeFailure(lastFailure)
    : requests.length === 0
      ? `the viewer made no request (exits: ${exits || 'none'})`
      : segment.total === 0
        ? 'no segment was requested (the playlists listed none in time?)'
        : 'no segment download completed';
  return { lines, failure: `no segment played in ${options.durationText}: ${why}` };
}

export interface CheckOptions {
  url: string;
  spec: SwarmSpec;
  metricsHost: string;
  signal: AbortSignal;
  /** Report lines (stdout). */
  write: (line: string) => void;
  /** hls-swarm's own log lines (stderr, redacted). */
  log: (line: string) => void;
}

/** The whole check; returns the exit code (0 a segment played, 1 not). */
export async function runCheck(options: CheckOptions): Promise<number> {
  const { spec, write } = options;
  if (!spec.skipPreflight) {
    const report = await preflight({ clients: spec.clients });
    for (const line of report.lines) write(`ok  ${line}`);
  }
  const probe = await probeStreamUrl(options.url, {
    timeoutMs: parseDurationMs(spec.timeout, 'swarm.timeout'),
    headers: spec.headers,
    resolve: spec.resolve,
  });
  write(
    `ok  ${redactUrl(options.url)} answered HTTP ${probe.status} (${probe.bytes} bytes${probe.isPlaylist ? ', an HLS playlist' : ', NOT an HLS playlist (#EXTM3U missing)'})`,
  );
  if (!probe.isPlaylist) return 1;

  // One viewer on the run's own spec (headers, resolve, variant, timeouts, …); the plan and the
  // metrics port are the check's: a free port, so a check beside a running swarm does not collide.
  // The check's one viewer is an ffmpeg viewer (the demuxing truth), whatever --light says.
  const { stages: _stages, viewers: _viewers, ...runSpec } = spec;
  const checkSpec: SwarmSpec = {
    ...runSpec,
    clients: 1,
    duration: CHECK_DURATION,
    rampJitter: '0ms',
    metricsPort: spec.metricsPort ?? 0,
  };
  write(`check: 1 viewer for ${CHECK_DURATION} (the run's other options apply; --clients/--duration do not)`);
  let variantNote: string | undefined;
  const requests: RequestRecord[] = [];
  let snapshot: SwarmSnapshot;
  try {
    const swarm = await startSwarm({
      url: options.url,
      spec: checkSpec,
      signal: options.signal,
      metricsHost: options.metricsHost,
      // The URL was probed just above.
      probeUrl: false,
      log: (line) => {
        if (line.startsWith('variant: ')) variantNote = line.slice('variant: '.length);
        // The preflight's lines were printed above, for the requested viewers.
        else if (!/^(ffmpeg|open files|processes|limits): /.test(line)) options.log(`hls-swarm: ${line}`);
      },
    });
    swarm.on('request', (record) => requests.push(record));
    snapshot = await swarm.done;
  } catch (error) {
    // Stopped (Ctrl-C) while the viewer was being prepared: the caller reports the signal.
    if (options.signal.aborted) return 1;
    throw error;
  }
  const report = judgeCheck(snapshot, requests, {
    durationText: `${parseDurationMs(CHECK_DURATION) / 1000} s`,
    variantNote,
  });
  for (const line of report.lines) write(line);
  if (report.failure) {
    options.log(`hls-swarm run --check: FAILED: ${report.failure}`);
    return 1;
  }
  write(`ok  played ${snapshot.requests.segment.ok} segment(s) in ${CHECK_DURATION}`);
  return 0;
}
