import { findBinary, MissingBinaryError, runForOutput } from '../../system/index.js';

/** What the installed ffmpeg can do; the command builder fits its options to this. */
export interface FfmpegCapabilities {
  /** Absolute path of the binary that was probed (and will be spawned). */
  path: string;
  /** Numeric version such as '5.1.9'; the raw token for git builds ('N-112233-g…'). */
  version: string;
  /** Major version; 0 when the version is not numeric (git builds are treated as new). */
  major: number;
  minor: number;
  /** First line of `ffmpeg -version`, for the report. */
  versionLine: string;
  /** `-loglevel …+datetime` (newer ffmpeg; not 5.1): lines carry ffmpeg's own timestamp. */
  hasDatetimeLogFlag: boolean;
  /** hls demuxer `-seg_max_retry` (ffmpeg 6+). */
  hasSegMaxRetry: boolean;
  /** http protocol `-reconnect_on_network_error` (ffmpeg 4.4+). */
  hasReconnectOnNetworkError: boolean;
  /** http protocol `-reconnect_streamed`. */
  hasReconnectStreamed: boolean;
  /** http protocol `-reconnect_delay_max`. */
  hasReconnectDelayMax: boolean;
}

/** Parses the first line of `ffmpeg -version`. */
export function parseFfmpegVersion(text: string): {
  version: string;
  major: number;
  minor: number;
  versionLine: string;
} {
  const versionLine =
    text.split('\n').find((line) => line.startsWith('ffmpeg version ')) ?? text.split('\n')[0] ?? '';
  const token = /^ffmpeg version (\S+)/.exec(versionLine)?.[1] ?? 'unknown';
  const numeric = /^n?(\d+)\.(\d+)(?:\.(\d+))?/.exec(token);
  if (!numeric) return { version: token, major: 0, minor: 0, versionLine };
  const version =
    numeric[3] === undefined ? `${numeric[1]}.${numeric[2]}` : `${numeric[1]}.${numeric[2]}.${numeric[3]}`;
  return { version, major: Number(numeric[1]), minor: Number(numeric[2]), versionLine };
}

/** Texts the capabilities are read from; recorded in fixtures/ffmpeg for tests. */
export interface FfmpegProbeOutputs {
  /** `ffmpeg -version` */
  version: string;
  /** `ffmpeg -hide_banner -h demuxer=hls` */
  hlsDemuxerHelp: string;
  /** `ffmpeg -hide_banner -h protocol=http` */
  httpProtocolHelp: string;
  /** `ffmpeg -hide_banner -loglevel datetime+error -version`: rejected with "Invalid loglevel" where unsupported */
  datetimeProbe: string;
}

/** Pure: capabilities from the probe outputs (an option is supported when its help lists it). */
export function capabilitiesFromProbe(path: string, outputs: FfmpegProbeOutputs): FfmpegCapabilities {
  const hasOption = (help: string, option: string) => new RegExp(`^\\s*-${option}\\s`, 'm').test(help);
  return {
    path,
    ...parseFfmpegVersion(outputs.version),
    hasDatetimeLogFlag: !/Invalid loglevel/i.test(outputs.datetimeProbe),
    hasSegMaxRetry: hasOption(outputs.hlsDemuxerHelp, 'seg_max_retry'),
    hasReconnectOnNetworkError: hasOption(outputs.httpProtocolHelp, 'reconnect_on_network_error'),
    hasReconnectStreamed: hasOption(outputs.httpProtocolHelp, 'reconnect_streamed'),
    hasReconnectDelayMax: hasOption(outputs.httpProtocolHelp, 'reconnect_delay_max'),
  };
}

/**
 * Why a segment retry count asked for (`swarm.segMaxRetry`, `--seg-retry`) cannot be honoured by
 * this ffmpeg, or undefined when it can (or none was asked for). `option` names the field or flag
 * in the message. Silently dropping it would run a test the user did not ask for.
 */
export function segMaxRetryProblem(
  segMaxRetry: number | undefined,
  capabilities: FfmpegCapabilities,
  option: string,
): string | undefined {
  if (segMaxRetry === undefined || capabilities.hasSegMaxRetry) return undefined;
  return (
    `${option} ${segMaxRetry}: the ffmpeg found (${capabilities.path}, version ${capabilities.version}) has no hls ` +
    `-seg_max_retry option (it arrived in ffmpeg 6.0; 'ffmpeg -h demuxer=hls' lists none). Install ffmpeg 6.0 or newer ` +
    'first on PATH, or leave the option out: a failed segment is then skipped, and counted as failed'
  );
}

const cache = new Map<string, Promise<FfmpegCapabilities>>();

/**
 * Probes the ffmpeg at `ffmpegPath` (default: `ffmpeg` on PATH) once per path. The targeted
 * help pages (`-h demuxer=hls`, `-h protocol=http`) say the same as `-h full` at 1 % of its size.
 * A missing binary is a MissingBinaryError naming the Debian package.
 */
export function detectFfmpeg(ffmpegPath = 'ffmpeg'): Promise<FfmpegCapabilities> {
  const path = findBinary(ffmpegPath);
  if (!path) return Promise.reject(new MissingBinaryError(ffmpegPath, 'ffmpeg', 'the swarm viewers'));
  let pending = cache.get(path);
  if (!pending) {
    pending = probe(path);
    cache.set(path, pending);
    // A failed probe is not cached: the next call tries again.
    pending.catch(() => cache.delete(path));
  }
  return pending;
}

async function probe(path: string): Promise<FfmpegCapabilities> {
  let version: string;
  try {
    version = await runForOutput(path, ['-version']);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES')
      throw new MissingBinaryError(path, 'ffmpeg', 'the swarm viewers');
    throw error;
  }
  if (!version.includes('ffmpeg version')) {
    throw new Error(
      `${path} -version did not print "ffmpeg version …"; is it ffmpeg? Output: ${version.slice(0, 200)}`,
    );
  }
  const [hlsDemuxerHelp, httpProtocolHelp, datetimeProbe] = await Promise.all([
    runForOutput(path, ['-hide_banner', '-h', 'demuxer=hls']),
    runForOutput(path, ['-hide_banner', '-h', 'protocol=http']),
    runForOutput(path, ['-hide_banner', '-loglevel', 'datetime+error', '-version']).catch(
      (error: Error) => `Invalid loglevel (probe failed: ${error.message})`,
    ),
  ]);
  return capabilitiesFromProbe(path, { version, hlsDemuxerHelp, httpProtocolHelp, datetimeProbe });
}
