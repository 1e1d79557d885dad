import { parseArgs } from 'node:util';
import { PROFILE_NAMES, type ProfileName, type SwarmSpec } from '../../config/index.js';
import {
  assertLoopbackTarget,
  type CalibrationOutcome,
  type CalibrationStream,
  calibrate,
  calibrationCacheDir,
  conditionsWarning,
} from '../../swarm/index.js';
import { UsageError } from '../errors.js';

export const usage = `Usage: hls-swarm calibrate [--profile P [--origin python|nginx] | URL] [options]

Measures, in about 30 s, what ffmpeg viewers cost on this host (CPU-seconds per start, CPU and
memory per running viewer at that stream's bitrate and log level) and prints how many viewers
it can drive with headroom (70 % of the cores, 70 % of MemAvailable). With --profile it boots
a local origin of that profile on free ports and stops it afterwards; with a URL it uses that
stream. The result is cached per host (hostname, cores, MemTotal), ffmpeg version, stream and
log level in $XDG_CACHE_HOME/hls-swarm/ (default ~/.cache/hls-swarm/); a scenario whose
viewers exceed it gets a warning before it starts (generator.capacityCheck).

  --profile P          generator profile: ${PROFILE_NAMES.join(', ')} (default: default, when no URL)
  --origin K           origin serving the profile: nginx (default) | python
  --log-level L        trace (default) | debug | verbose: the viewers' log level, as in swarm.logLevel
  --viewers N          viewers to measure with (default 20)
  --seconds N          length of the steady window (default 12)
  --timed-viewers N    timedViewers the printed estimate assumes (default 50; 'all')
  --fresh              measure even when a cached calibration exists
  --json               print the result as one JSON object on stdout
  --allow-remote       allow a URL whose host is not loopback`;

const OPTIONS = {
  profile: { type: 'string' },
  origin: { type: 'string' },
  'log-level': { type: 'string' },
  viewers: { type: 'string' },
  seconds: { type: 'string' },
  'timed-viewers': { type: 'string' },
  fresh: { type: 'boolean' },
  json: { type: 'boolean' },
  'allow-remote': { type: 'boolean' },
} as const;

const LOG_LEVELS = ['trace', 'debug', 'verbose'] as const;

export interface CalibrateArgs {
  stream: CalibrationStream;
  logLevel: SwarmSpec['logLevel'];
  viewers: number;
  steadySeconds: number;
  timedViewers: number | 'all';
  fresh: boolean;
  json: boolean;
}

function wholeNumber(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min)
    throw new UsageError(`--${flag}: expected a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Pure: command line → validated arguments (UsageError names the flag). */
export function parseCalibrateArgs(argv: string[]): CalibrateArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError(`expected at most one URL, got ${positionals.join(' ')}`);
  const url = positionals[0];
  if (url !== undefined && (values.profile !== undefined || values.origin !== undefined))
    throw new UsageError('give either --profile (a local origin) or a URL, not both');
  const profile = values.profile ?? 'default';
  if (!(PROFILE_NAMES as readonly string[]).includes(profile))
    throw new UsageError(
      `--profile: expected one of ${PROFILE_NAMES.join(', ')}, got ${JSON.stringify(profile)}`,
    );
  const originKind = values.origin ?? 'nginx';
  if (originKind !== 'nginx' && originKind !== 'python')
    throw new UsageError(`--origin: expected nginx or python, got ${JSON.stringify(originKind)}`);
  const logLevel = values['log-level'] ?? 'trace';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new UsageError(
      `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  if (url !== undefined) assertLoopbackTarget(url, values['allow-remote'] === true);
  const timed = values['timed-viewers'];
  return {
    stream:
      url !== undefined
        ? { kind: 'url', url }
        : { kind: 'profile', originKind, profile: profile as ProfileName },
    logLevel: logLevel as SwarmSpec['logLevel'],
    viewers: values.viewers === undefined ? 20 : wholeNumber('viewers', values.viewers, 2),
    steadySeconds: values.seconds === undefined ? 12 : wholeNumber('seconds', values.seconds, 1),
    timedViewers: timed === undefined ? 50 : timed === 'all' ? 'all' : wholeNumber('timed-viewers', timed, 0),
    fresh: values.fresh === true,
    json: values.json === true,
  };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const percentOfCore = (cores: number) => `${(cores * 100).toFixed(2)} % of a core`;

/** The human-readable result (pure). */
export function formatCalibration(outcome: CalibrationOutcome): string {
  const { entry, estimate, host } = outcome;
  const { costs } = entry;
  const rows: [string, string][] = [
    [
      'host',
      `${host.hostname}: ${host.cores} cores, ${mb(host.memAvailableBytes)} available of ${mb(host.memTotalBytes)}`,
    ],
    ['ffmpeg', entry.key.ffmpegVersion],
    ['stream', `${entry.stream}, log level ${entry.key.logLevel}`],
    [
      'measured',
      `${entry.calibratedAt} with ${entry.viewersMeasured} viewers over ${entry.steadySeconds.toFixed(1)}s${outcome.fromCache ? ' (cached; --fresh measures again)' : ''}`,
    ],
    ['per start', `${costs.startCpuSeconds.toFixed(3)} CPU-s (ffmpeg to its first segment, plus Node)`],
    [
      'per viewer',
      `timed ${percentOfCore(costs.timedViewerCpuCores)}, untimed ${percentOfCore(costs.untimedViewerCpuCores)}, Node ${percentOfCore(costs.nodeCpuCoresPerViewer)}; ${mb(costs.viewerMemoryBytes)} ${entry.memorySource.toUpperCase()}`,
    ],
  ];
  if (entry.origin)
    rows.push([
      'origin',
      `${entry.origin.kind}: ${percentOfCore(entry.origin.fixedCores)} (generator, exporters) + ${percentOfCore(entry.origin.perViewerCores)} per viewer`,
    ]);
  rows.push([
    'capacity',
    `~${estimate.viewers} viewers (CPU allows ${estimate.cpuViewers}, memory ${estimate.memoryViewers}; ${Math.round(estimate.cpuBudget * 100)} % CPU and ${Math.round(estimate.memoryBudget * 100)} % memory budgets, timedViewers ${outcome.timedViewers})`,
  ]);
  rows.push(['start rate', `~${estimate.startsPerSecond.toFixed(0)} viewers/s sustained`]);
  rows.push(['cache', outcome.file]);
  const warning = entry.conditions ? conditionsWarning(entry.conditions) : undefined;
  if (warning) rows.push(['WARNING', warning]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.map(([name, value]) => `  ${name.padEnd(width)}${value}`).join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCalibrateArgs(argv);
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received = signal;
    process.stderr.write(`\nhls-swarm calibrate: ${signal}: stopping…\n`);
    controller.abort(new Error(`received ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const outcome = await calibrate({
      stream: args.stream,
      logLevel: args.logLevel,
      viewers: args.viewers,
      steadySeconds: args.steadySeconds,
      timedViewers: args.timedViewers,
      fresh: args.fresh,
      signal: controller.signal,
      cacheDir: calibrationCacheDir(),
      log: (line) => process.stderr.write(`hls-swarm calibrate: ${line}\n`),
    });
    if (args.json) {
      const { entry, estimate, host, file, fromCache, timedViewers } = outcome;
      process.stdout.write(
        `${JSON.stringify({ ...entry, host, estimate, timedViewers, cacheFile: file, fromCache })}\n`,
      );
    } else {
      process.stdout.write(`hls-swarm calibrate\n${formatCalibration(outcome)}\n`);
    }
    return 0;
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write('hls-swarm calibrate: interrupted; nothing was cached.\n');
      return received === 'SIGTERM' ? 143 : 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
