import { parseArgs } from 'node:util';
import {
  ConfigError,
  parseDurationMs,
  parseShard,
  parseStartAt,
  parseWith,
  REQUEST_KINDS,
  type ScenarioInput,
  type ShardSpec,
  type SwarmSpec,
  type SwarmSpecInput,
  shardFromEnv,
  startAtFromEnv,
  swarmSchema,
  tryParseDurationMs,
  VARIANTS,
} from '../../config/index.js';
import { formatSummary, type TerminalDashboard } from '../../report/index.js';
import {
  assertLoopbackTarget,
  detectFfmpeg,
  type SwarmSnapshot,
  segMaxRetryProblem,
  startSwarm,
} from '../../swarm/index.js';
import { redactText, redactUrl, SignalInterruption } from '../../system/index.js';
import { TOOL_VERSION } from '../../version.js';
import { openRunDashboard, showSwarmDashboard } from '../dashboard.js';
import { isUserFacingError, UsageError } from '../errors.js';
import { runCheck } from './run-check.js';
import { printRunCommands } from './run-print-cmd.js';

export const usage = `Usage: hls-swarm run <url> [options]

Runs viewers (ffmpeg processes; with --light, light viewers too) against an HLS stream URL
(master or media playlist) and prints a summary.
Exit code: 0 the run completed, 1 it failed (ffmpeg missing, URL unreachable, no segment
ever downloaded), 2 a usage error, 3 (with --report) inconclusive: the load generator itself
was saturated, so its latencies are not the origin's, 130/143 stopped by SIGINT/SIGTERM (the
viewers are stopped, the summary printed and the --report written, verdict "interrupted"; a
second signal exits at once).

  --clients N          viewers to run, every kind (default 10)
  --light N            N of the --clients viewers are light viewers: in-process HLS player
                       models on one connection pool, thousands per core, beside the ffmpeg
                       viewers (interleaved by id; docs/light-viewers.md). Default 0
  --ramp-rate R        viewers started per second (default 10)
  --ramp-jitter D      extra per-viewer start delay, up to D, deterministic per id (default 0ms)
  --duration D         total run time, ramp included (default 30s); 0 = until Ctrl-C (SIGINT/
                       SIGTERM ends the run normally: summary, exit 0 if segments arrived;
                       bounded at 576h = 24 days, the longest a Node timer can wait; not with
                       --report or --shard, whose verdict needs a bounded run)
  --variant V          all | highest | lowest | first | abr (default all). Light viewers play one
                       variant: 'all' plays 'highest' for them; 'abr' (throughput-driven switching)
                       needs --light, and the ffmpeg viewers beside them then play 'highest'
  --header 'K: V'      extra request header (repeatable); secret-looking values are never printed
  --no-cache           send Cache-Control: no-cache and Pragma: no-cache
  --resolve IP         connect to IP, keep the URL's Host header (the viewers, the URL probe
                       and, with --report, the origin's readiness check)
  --user-agent UA      viewers' User-Agent; '{id}' becomes the viewer id, and without '{id}'
                       '/client-<id>' is appended (default hls-swarm/<version>/client-<id>)
  --timeout D          ffmpeg -rw_timeout (default 15s)
  --no-reconnect       do not pass ffmpeg's -reconnect options
  --restart-on-stall   restart a viewer whose playback stalls (< 0.9x over the stall window)
  --max-restarts N     per viewer (default unlimited)
  --timed-viewers N    viewers whose log is read as it arrives, for request timings (default 50;
                       'all'); the others are read every second: exact counts, statuses and bytes
  --no-start-gate      spawn each viewer at its planned start instead of ahead of it at the start gate
  --metrics ADDR       swarm /metrics on [HOST:]PORT (default 127.0.0.1:$METRICS_PORT or 17091; 0 = free port)
  --seg-retry N        ffmpeg's -seg_max_retry: retry a failed segment N times (needs ffmpeg 6.0+;
                       an error on an older ffmpeg; default 3 where the installed ffmpeg has it)
  --print-cmd          print the ffmpeg command the run would spawn (the first viewer's, and how
                       the others differ; secrets redacted, quoted for bash) and exit; starts nothing
  --log-commands       print each viewer's ffmpeg command as it is spawned (secrets redacted)
  --check              the preflight (ffmpeg, limits, URL), then ONE viewer for 10 s and what it got
                       (playlists, segments, statuses, startup, bytes); exit 0 if a segment played
  --skip-preflight     do not check or raise the open-file and process limits (ffmpeg is
                       still located and the URL still probed: without them nothing can run)
  --log-format F       text (default) or json: hls-swarm's own stderr lines as one JSON
                       object per line {time, level, msg}, redacted like the text
  --report FILE        run as a scenario (external origin) and write the JSON report to FILE
  --nginx-metrics URL  with --report/--shard: the origin's nginx-exporter /metrics to sample
  --node-metrics URL   with --report/--shard: the origin's node-exporter /metrics to sample
  --shard I/N          run shard I of N (viewer ids I mod N, on the whole plan's schedule) and
                       write a shard report (default reports/run/hls-swarm-run.shard-I-of-N.json)
                       for 'hls-swarm merge', which gives the verdict; also HLS_SWARM_SHARD=I/N,
                       or JOB_COMPLETION_INDEX with HLS_SWARM_SHARDS=N (Kubernetes Indexed Jobs)
  --start-at TIME      begin at TIME (ISO 8601 or epoch ms) once the viewers are prepared, so
                       shards start together; also HLS_SWARM_START_AT
  --allow-remote       allow a URL whose host is not loopback (never load a remote host by accident)
Durations: 500ms, 30s, 2m, 1m30s.`;

const OPTIONS = {
  clients: { type: 'string' },
  light: { type: 'string' },
  'ramp-rate': { type: 'string' },
  'ramp-jitter': { type: 'string' },
  duration: { type: 'string' },
  variant: { type: 'string' },
  header: { type: 'string', multiple: true },
  'no-cache': { type: 'boolean' },
  'no-start-gate': { type: 'boolean' },
  resolve: { type: 'string' },
  timeout: { type: 'string' },
  'no-reconnect': { type: 'boolean' },
  'restart-on-stall': { type: 'boolean' },
  'max-restarts': { type: 'string' },
  'timed-viewers': { type: 'string' },
  metrics: { type: 'string' },
  'print-cmd': { type: 'boolean' },
  'log-commands': { type: 'boolean' },
  'seg-retry': { type: 'string' },
  check: { type: 'boolean' },
  report: { type: 'string' },
  shard: { type: 'string' },
  'start-at': { type: 'string' },
  'allow-remote': { type: 'boolean' },
  'user-agent': { type: 'string' },
  'skip-preflight': { type: 'boolean' },
  'log-format': { type: 'string' },
  'nginx-metrics': { type: 'string' },
  'node-metrics': { type: 'string' },
} as const;

/**
 * `--duration 0` (run until Ctrl-C) as a bounded duration: the ramp plan and the swarm's end
 * timer need one, and Node's timers hold at most 2^31 − 1 ms (~24.8 days): 576h is 24 days.
 */
export const UNTIL_INTERRUPTED_DURATION = '576h';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface RunCommandArgs {
  url: string;
  spec: SwarmSpec;
  metricsHost: string;
  /** --print-cmd: print the command a run would spawn, and exit. */
  printCommandOnly: boolean;
  /** --log-commands: print each viewer's command as it is spawned. */
  logCommands: boolean;
  /** --check: preflight, then one viewer for 10 s. */
  checkOnly: boolean;
  reportFile?: string;
  allowRemote: boolean;
  shard?: ShardSpec;
  startAtMs?: number;
  /** --duration 0: the run ends at SIGINT/SIGTERM (the spec holds UNTIL_INTERRUPTED_DURATION). */
  untilInterrupted: boolean;
  logFormat: LogFormat;
  /** --nginx-metrics / --node-metrics: the external origin's exporters (with --report/--shard). */
  exporters: { nginx?: string; node?: string };
}

function positiveInteger(flag: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(value) || (!allowZero && value <= 0)) {
    throw new UsageError(
      `--${flag}: expected ${allowZero ? 'an integer >= 0' : 'a positive integer'}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function duration(flag: string, text: string): string {
  if (tryParseDurationMs(text) === undefined) {
    throw new UsageError(
      `--${flag}: expected a duration like '500ms', '30s', '2m' or '1m30s', got ${JSON.stringify(text)}`,
    );
  }
  return text;
}

/** `[host:]port` → { host, port }. */
export function parseMetricsAddress(text: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `--metrics: expected [HOST:]PORT such as 127.0.0.1:17091 or 0 (a free port), got ${JSON.stringify(text)}`,
    );
  }
  return { host: (match[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

function exporterUrl(flag: string, text: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {}
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    throw new UsageError(
      `--${flag}: expected the exporter's http:// URL, e.g. http://127.0.0.1:17113/metrics, got ${JSON.stringify(text)}`,
    );
  return text;
}

/** A ConfigError of a flag or variable as a usage error (exit 2, the message names it). */
function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.issues.join('; '));
    throw error;
  }
}

/** Pure: command line (and the shard variables of `env`) → validated arguments (UsageError names the flag). */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunCommandArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0)
    throw new UsageError('missing the stream URL (e.g. http://127.0.0.1:17080/stream.m3u8)');
  if (positionals.length > 1)
    throw new UsageError(`expected one URL, got ${positionals.length}: ${positionals.join(' ')}`);
  const url = positionals[0] as string;

  const input: SwarmSpecInput = {
    clients: values.clients === undefined ? 10 : positiveInteger('clients', values.clients),
  };
  if (values.light !== undefined) {
    const light = positiveInteger('light', values.light, true);
    if (light > (input.clients as number))
      throw new UsageError(
        `--light: ${light} light viewers is more than --clients ${input.clients} (the total of every kind); raise --clients`,
      );
    input.viewers = { light };
  }
  if (values['ramp-rate'] !== undefined) {
    const rate = Number(values['ramp-rate']);
    if (!Number.isFinite(rate) || rate <= 0)
      throw new UsageError(
        `--ramp-rate: expected viewers per second > 0, got ${JSON.stringify(values['ramp-rate'])}`,
      );
    input.rampRate = rate;
  }
  if (values['ramp-jitter'] !== undefined) input.rampJitter = duration('ramp-jitter', values['ramp-jitter']);
  // 0 (or 0s, 0ms): until Ctrl-C, as the Go tool's -duration 0.
  const untilInterrupted =
    values.duration !== undefined &&
    (values.duration.trim() === '0' || tryParseDurationMs(values.duration) === 0);
  if (untilInterrupted) input.duration = UNTIL_INTERRUPTED_DURATION;
  else if (values.duration !== undefined) input.duration = duration('duration', values.duration);
  if (values.timeout !== undefined) input.timeout = duration('timeout', values.timeout);
  if (values.variant !== undefined) {
    if (!(VARIANTS as readonly string[]).includes(values.variant))
      throw new UsageError(
        `--variant: expected one of ${VARIANTS.join(', ')}, got ${JSON.stringify(values.variant)}`,
      );
    input.variant = values.variant as SwarmSpec['variant'];
  }
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    const name = colon > 0 ? header.slice(0, colon).trim() : '';
    if (!name || /[\r\n]/.test(header))
      throw new UsageError(
        `--header: expected 'Name: value' on one line, got ${JSON.stringify(header.split(':')[0])}…`,
      );
    headers[name] = header.slice(colon + 1).trim();
  }
  input.headers = headers;
  if (values['no-cache']) input.noCache = true;
  if (values['no-start-gate']) input.startGate = { enabled: false };
  if (values.resolve !== undefined) input.resolve = values.resolve;
  if (values['user-agent'] !== undefined) input.userAgent = values['user-agent'];
  if (values['skip-preflight']) input.skipPreflight = true;
  if (values['no-reconnect']) input.reconnect = false;
  if (values['seg-retry'] !== undefined)
    input.segMaxRetry = positiveInteger('seg-retry', values['seg-retry'], true);
  const restart: NonNullable<SwarmSpecInput['restart']> = {};
  if (values['restart-on-stall']) restart.onStall = true;
  if (values['max-restarts'] !== undefined)
    restart.maxRestarts = positiveInteger('max-restarts', values['max-restarts'], true);
  input.restart = restart;
  const timed = values['timed-viewers'];
  if (timed !== undefined)
    input.timedViewers = timed === 'all' ? 'all' : positiveInteger('timed-viewers', timed, true);
  let metricsHost = '127.0.0.1';
  if (values.metrics !== undefined) {
    const address = parseMetricsAddress(values.metrics);
    metricsHost = address.host;
    input.metricsPort = address.port;
  }
  let spec: SwarmSpec;
  try {
    spec = parseWith(swarmSchema, input, 'command line');
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.issues.join('; '));
    throw error;
  }
  const shard = asUsage(() => (values.shard !== undefined ? parseShard(values.shard) : shardFromEnv(env)));
  const startAt = values['start-at'];
  const startAtMs = asUsage(() => (startAt !== undefined ? parseStartAt(startAt) : startAtFromEnv(env)));
  const logFormat = values['log-format'] ?? 'text';
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat))
    throw new UsageError(`--log-format: expected text or json, got ${JSON.stringify(logFormat)}`);
  const withReport = values.report !== undefined || shard !== undefined;
  if (values['print-cmd'] && values.check)
    throw new UsageError(
      '--print-cmd and --check: give one (--print-cmd starts nothing, --check one viewer)',
    );
  if (values.check) {
    const runOnly = (['report', 'shard', 'start-at'] as const).filter((flag) => values[flag] !== undefined);
    if (runOnly.length > 0)
      throw new UsageError(
        `--check plays one viewer for 10 s and writes no report: drop ${runOnly.map((flag) => `--${flag}`).join(', ')}`,
      );
  }
  if (untilInterrupted && withReport)
    throw new UsageError(
      '--duration 0 (until Ctrl-C) cannot be used with --report or --shard: a verdict needs a bounded run; give a duration such as 1h',
    );
  const exporters: RunCommandArgs['exporters'] = {};
  if (values['nginx-metrics'] !== undefined)
    exporters.nginx = exporterUrl('nginx-metrics', values['nginx-metrics']);
  if (values['node-metrics'] !== undefined)
    exporters.node = exporterUrl('node-metrics', values['node-metrics']);
  if (Object.keys(exporters).length > 0 && !withReport)
    throw new UsageError(
      '--nginx-metrics and --node-metrics are sampled by a scenario run: add --report FILE (or --shard I/N)',
    );
  return {
    url,
    spec,
    metricsHost,
    printCommandOnly: values['print-cmd'] === true,
    logCommands: values['log-commands'] === true,
    checkOnly: values.check === true,
    reportFile: values.report,
    allowRemote: values['allow-remote'] === true,
    ...(shard ? { shard } : {}),
    ...(startAtMs !== undefined ? { startAtMs } : {}),
    untilInterrupted,
    logFormat: logFormat as LogFormat,
    exporters,
  };
}

export type LogLevel = 'info' | 'warn' | 'error';

/**
 * One stderr line of hls-swarm itself, redacted by the shared rule (URLs, header values). JSON:
 * one object per line, the message without the 'hls-swarm …: ' prefix the text form carries.
 */
export function formatLogLine(
  format: LogFormat,
  line: string,
  level: LogLevel = 'info',
  now = new Date(),
): string {
  const text = redactText(line);
  if (format === 'text') return text;
  const msg = text.trim().replace(/^hls-swarm(?: run)?: /, '');
  return JSON.stringify({ time: now.toISOString(), level, msg });
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function ms(seconds: number): string {
  return seconds >= 1 ? `${seconds.toFixed(2)}s` : `${(seconds * 1000).toFixed(1)}ms`;
}

function bytes(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} GB`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(2)} MB`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} kB`;
  return `${count} B`;
}

/** The end-of-run table (pure). */
export function formatSwarmSummary(snapshot: SwarmSnapshot, url: string, elapsedSeconds: number): string {
  const rows: [string, string][] = [];
  rows.push(['stream', redactUrl(url)]);
  rows.push(['ffmpeg', `${snapshot.ffmpeg.version} (${snapshot.ffmpeg.path})`]);
  rows.push(['run time', `${elapsedSeconds.toFixed(1)}s`]);
  rows.push([
    'viewers',
    `${snapshot.clientsStarted - snapshot.restarts} started, ${snapshot.restarts} restarts (${snapshot.stallRestarts ?? 0} for stalls)`,
  ]);
  const exits = Object.entries(snapshot.exitCategories)
    .map(([category, count]) => `${category} ${count}`)
    .join(', ');
  rows.push(['exits', exits || 'none']);
  for (const kind of REQUEST_KINDS) {
    const counts = snapshot.requests[kind];
    if (counts.total === 0 && kind !== 'segment' && kind !== 'manifest') continue;
    rows.push([
      `${kind} requests`,
      `${counts.total} (${counts.ok} ok, ${counts.failed} failed), ${bytes(counts.bytes)}`,
    ]);
  }
  const dist = (name: string, d: SwarmSnapshot['segmentTtfbSeconds']) =>
    rows.push([
      name,
      d.count === 0 ? 'no data' : `p50 ${ms(d.p50)}  p95 ${ms(d.p95)}  p99 ${ms(d.p99)}  max ${ms(d.max)}`,
    ]);
  const viewers = snapshot.clientsStarted - snapshot.restarts;
  if (snapshot.timedViewers !== undefined && snapshot.timedViewers < viewers)
    rows.push(['timings from', `${snapshot.timedViewers} timed viewers (--timed-viewers); counts from all`]);
  const gate = snapshot.startGate;
  if (gate) {
    const late = gate.releaseLatenessSeconds;
    rows.push([
      'start gate',
      `${gate.heldAtStart}/${gate.gatedViewers} waiting at t=0, prepared in ${ms((gate.prepareEndedAtMs - gate.prepareStartedAtMs) / 1000)}; release lateness p95 ${ms(late.p95)} max ${ms(late.max)}, ${gate.lateReleases} late`,
    ]);
  }
  dist('segment ttfb', snapshot.segmentTtfbSeconds);
  dist('segment duration', snapshot.segmentDurationSeconds);
  dist('manifest duration', snapshot.manifestDurationSeconds);
  dist('startup', snapshot.startupSeconds);
  const speed = snapshot.playbackSpeed;
  rows.push([
    'playback speed',
    speed.count === 0
      ? 'no data'
      : `mean ${speed.mean.toFixed(3)}  min ${speed.min.toFixed(3)}  (${speed.count} windows)`,
  ]);
  const httpErrors = Object.entries(snapshot.httpErrors)
    .map(([code, count]) => `${code}×${count}`)
    .join(' ');
  rows.push(['http errors', httpErrors || 'none']);
  rows.push([
    'faults',
    `reconnects ${snapshot.reconnects}, timeouts ${snapshot.timeouts}, connect failures ${snapshot.connectFailures ?? 0}, ` +
      `segments failed ${snapshot.segmentsFailed ?? 0}, expired skips ${snapshot.segmentsSkippedExpired}, playlist reload failures ${snapshot.playlistReloadFailures}`,
  ]);
  rows.push(['dropped log lines', String(snapshot.droppedLines)]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.map(([name, value]) => `  ${pad(name, width)}${value}`).join('\n');
}

/** Why a finished run counts as failed, or undefined when it completed. */
export function runFailure(snapshot: SwarmSnapshot): string | undefined {
  const segments = snapshot.requests.segment;
  const manifests = snapshot.requests.manifest;
  if (segments.ok === 0 && manifests.ok === 0)
    return 'every request failed (no playlist or segment was downloaded)';
  if (segments.ok === 0) return 'no segment was downloaded';
  return undefined;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  // Every log line goes through the shared redaction (URLs, header values) before it is shown.
  const log = (line: string, level: LogLevel = 'info') =>
    process.stderr.write(`${formatLogLine(args.logFormat, line, level)}\n`);
  if (args.logFormat === 'text') return runCommand(args, log);
  // JSON: errors meant for the user are JSON lines too (main.ts prints them as text otherwise).
  try {
    return await runCommand(args, log);
  } catch (error) {
    if (!isUserFacingError(error)) throw error;
    log(error.message, 'error');
    return error.code === 'HLS_SWARM_CONFIG' || error.code === 'HLS_SWARM_USAGE' ? 2 : 1;
  }
}

async function runCommand(
  args: RunCommandArgs,
  log: (line: string, level?: LogLevel) => void,
): Promise<number> {
  // On a terminal, a live dashboard instead of progress lines; other lines print above it.
  const dashboard = args.checkOnly ? undefined : openRunDashboard(args);
  const out = (line: string) => {
    const level = /FAILED/.test(line) ? 'error' : 'info';
    if (dashboard?.active) dashboard.log(formatLogLine(args.logFormat, line, level));
    else log(line, level);
  };
  assertLoopbackTarget(args.url, args.allowRemote, args.spec.resolve);

  // A retry count this ffmpeg cannot honour is a usage error before anything starts.
  if (args.spec.segMaxRetry !== undefined) {
    const problem = segMaxRetryProblem(args.spec.segMaxRetry, await detectFfmpeg(), '--seg-retry');
    if (problem) throw new UsageError(problem);
  }
  if (args.printCommandOnly) {
    const { url, spec, shard } = args;
    const capabilities = await detectFfmpeg(); // probed once per binary (cached)
    await printRunCommands({ url, spec, capabilities, toolVersion: TOOL_VERSION, shard }, (line) =>
      process.stdout.write(`${line}\n`),
    );
    return 0;
  }

  // SIGINT/SIGTERM (to this process alone or its group): stop the viewers, print the summary,
  // write the report, exit 130/143. The viewers' stop is bounded by stopGrace; a second
  // signal, or 20 s more, exits at once.
  const controller = new AbortController();
  const interruption = new SignalInterruption({
    prefix: '\nhls-swarm run: ',
    graceMs: parseDurationMs(args.spec.stopGrace, 'swarm.stopGrace') + 20_000,
    log: out,
    // --duration 0: the signal is the planned end, so the run's own code stands.
    signalIsPlannedEnd: args.untilInterrupted && !args.checkOnly,
    onInterrupt: (signal) => {
      controller.abort(new Error(`received ${signal}`));
      return true;
    },
  }).install();
  try {
    const code = args.checkOnly
      ? await runCheck({
          url: args.url,
          spec: args.spec,
          metricsHost: args.metricsHost,
          signal: controller.signal,
          write: (line) => process.stdout.write(`${line}\n`),
          log: out,
        })
      : args.reportFile || args.shard
        ? await runWithReport(args, controller.signal, out, dashboard)
        : await runDirect(args, controller.signal, out, dashboard);
    return interruption.exitCode ?? code;
  } finally {
    dashboard?.stop();
    interruption.uninstall();
  }
}

async function runDirect(
  args: RunCommandArgs,
  signal: AbortSignal,
  out: (line: string) => void,
  dashboard?: TerminalDashboard,
): Promise<number> {
  const startedMs = Date.now();
  const swarm = await startSwarm({
    url: args.url,
    spec: args.spec,
    signal,
    metricsHost: args.metricsHost,
    log: (line) => out(`hls-swarm: ${line}`),
    ...(args.logCommands ? { printCommand: (line: string) => process.stdout.write(`${line}\n`) } : {}),
  });
  out(
    `hls-swarm: ${args.spec.clients} viewers of ${redactUrl(args.url)}; metrics at ${swarm.metricsUrl}` +
      (args.untilInterrupted ? '; until Ctrl-C (SIGINT/SIGTERM)' : ''),
  );
  const swarmStartedMs = swarm.snapshot().startedAtMs ?? startedMs;
  swarm.on('rampComplete', (event) =>
    out(
      `hls-swarm: ramp complete: ${event.clients} viewers after ${((event.atMs - swarmStartedMs) / 1000).toFixed(1)}s`,
    ),
  );
  const stopDashboard =
    dashboard &&
    (await showSwarmDashboard(dashboard, swarm, {
      title: `hls-swarm run ${redactUrl(args.url)}`,
      startedMs: swarmStartedMs,
      totalSeconds: args.untilInterrupted
        ? Number.POSITIVE_INFINITY
        : parseDurationMs(args.spec.duration) / 1000,
    }));
  const progress = setInterval(() => {
    if (stopDashboard) return;
    const s = swarm.snapshot();
    out(
      `hls-swarm: ${((Date.now() - startedMs) / 1000).toFixed(0)}s  viewers ${s.clientsActive}/${s.clientsTarget}  ` +
        `segments ${s.requests.segment.ok} ok ${s.requests.segment.failed} failed  playlists ${s.requests.manifest.total}  ` +
        `restarts ${s.restarts}  stalled ${s.stalledClients}  http errors ${Object.values(s.httpErrors).reduce((a, b) => a + b, 0)}`,
    );
  }, 5000);
  let snapshot: SwarmSnapshot;
  try {
    snapshot = await swarm.done;
  } finally {
    clearInterval(progress);
    stopDashboard?.();
  }
  const elapsedSeconds = (Date.now() - startedMs) / 1000;
  process.stdout.write(
    `\nhls-swarm run summary\n${formatSwarmSummary(snapshot, args.url, elapsedSeconds)}\n`,
  );
  if (signal.aborted && !args.untilInterrupted) {
    out('hls-swarm run: interrupted before the planned duration; the counts above are what was collected.');
    return 1;
  }
  const failure = runFailure(snapshot);
  if (failure) {
    out(`hls-swarm run: FAILED: ${failure}. Is the stream live and reachable?`);
    return 1;
  }
  return 0;
}

async function runWithReport(
  args: RunCommandArgs,
  signal: AbortSignal,
  out: (line: string) => void,
  dashboard?: TerminalDashboard,
): Promise<number> {
  const { runScenario } = await import('../../runner/index.js');
  const scenario: ScenarioInput = {
    name: 'hls-swarm run',
    description: `hls-swarm run ${redactUrl(args.url)}`,
    origin: {
      kind: 'external',
      url: args.url,
      allowRemote: args.allowRemote,
      exporters: args.exporters,
      // The readiness check reaches the stream as the viewers do.
      ...(args.spec.resolve ? { resolve: args.spec.resolve } : {}),
      ...(Object.keys(args.spec.headers).length > 0 ? { headers: args.spec.headers } : {}),
    },
    swarm: args.spec,
  };
  const result = await runScenario(scenario, {
    signal,
    ...(args.reportFile ? { reportFile: args.reportFile } : {}),
    ...(args.shard ? { shard: args.shard } : {}),
    ...(args.startAtMs !== undefined ? { startAtMs: args.startAtMs } : {}),
    metricsHost: args.metricsHost,
    log: out,
    ...(dashboard ? { onProgress: (update) => dashboard.update(update), logProgress: false } : {}),
    ...(args.logCommands ? { printCommand: (line: string) => process.stdout.write(`${line}\n`) } : {}),
  });
  dashboard?.stop();
  process.stdout.write(`\n${formatSummary(result.report, { reportPath: result.reportPath })}\n`);
  if (isUserFacingError(result.error)) {
    out(`hls-swarm run: ${result.error.message}`);
  }
  if (args.shard) {
    // A shard does not gate: its report is one part of the run, and the merge judges the whole.
    out(
      `hls-swarm run: shard ${args.shard.index}/${args.shard.count} ${result.verdict}; report ${result.reportPath} — 'hls-swarm merge' gives the verdict`,
    );
    return result.verdict === 'error' || result.verdict === 'interrupted' ? 1 : 0;
  }
  const swarm = result.report.swarm as { requests?: SwarmSnapshot['requests'] } | null | undefined;
  if (result.verdict === 'pass' && swarm?.requests && swarm.requests.segment.ok === 0) {
    out('hls-swarm run: FAILED: no segment was downloaded.');
    return 1;
  }
  // 3: the load generator was saturated (generator.onSaturation 'inconclusive'); 0/1/2 are taken.
  if (result.verdict === 'inconclusive') return 3;
  return result.verdict === 'pass' ? 0 : 1;
}
