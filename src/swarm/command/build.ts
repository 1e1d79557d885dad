import { parseDurationMs, type SwarmSpec } from '../../config/index.js';
import { redactHeaderBlock, redactText, redactUrl } from '../../system/index.js';
import type { FfmpegCapabilities } from './capabilities.js';
import { CMCD_SESSION_HEADER, cmcdSessionHeaderValue } from './cmcd.js';
import { userAgentFor } from './user-agent.js';

/** Default `-seg_max_retry` where the installed ffmpeg has it (go-ffmpeg-hls-swarm's `-seg-retry` default). */
export const SEG_MAX_RETRY = 3;

/** Quotes one argument for a POSIX shell; control characters (the CRLF of -headers) use $'…'. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
  if (/[\x00-\x1f\x7f]/.test(arg)) {
    const escaped = arg
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")
      .replace(/\r/g, '\\r')
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
      .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    return `$'${escaped}'`;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface ClientCommandInput {
  url: string;
  clientId: number;
  spec: SwarmSpec;
  capabilities: FfmpegCapabilities;
  /** hls-swarm's version, for the User-Agent. */
  toolVersion: string;
  /** Stream specifiers from selectVariant (e.g. '0:p:2'); each becomes `-map <spec>`. Empty/absent: all. */
  variantMaps?: string[];
  /** CMCD session id (cmcd.ts), sent as `CMCD-Session: sid="…"`; a CMCD-Session in swarm.headers wins. */
  sessionId?: string;
}

export interface ClientCommand {
  file: string;
  args: string[];
  /** The command as a shell line, secret-looking header values and query parameters redacted. */
  printable: string;
}

/** `resolve`: connect to `ip` while the Host header keeps the URL's host (and port). */
export function applyResolve(url: string, ip: string): { url: string; hostHeader: string } {
  const parsed = new URL(url);
  const hostHeader = parsed.host; // includes a non-default port
  parsed.hostname = ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
  return { url: parsed.toString(), hostHeader };
}

/**
 * The ffmpeg command of one viewer. Pure: same input, same command.
 * Order matters: protocol/demuxer options go before `-i`, maps and output after it.
 * Progress goes to fd 3 so it never mixes with the log on stderr.
 */
export function buildClientCommand(input: ClientCommandInput): ClientCommand {
  const { spec, capabilities, clientId } = input;
  const logFlags = capabilities.hasDatetimeLogFlag ? 'repeat+level+datetime' : 'repeat+level';
  const args: string[] = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    `${logFlags}+${spec.logLevel}`,
    '-progress',
    'pipe:3',
  ];

  if (spec.reconnect) {
    args.push('-reconnect', '1');
    if (capabilities.hasReconnectStreamed) args.push('-reconnect_streamed', '1');
    if (capabilities.hasReconnectOnNetworkError) args.push('-reconnect_on_network_error', '1');
    if (capabilities.hasReconnectDelayMax) {
      const delayMaxSeconds = Math.max(1, Math.ceil(parseDurationMs(spec.reconnectDelayMax) / 1000));
      args.push('-reconnect_delay_max', String(delayMaxSeconds));
    }
  }

  const timeoutUs = Math.round(parseDurationMs(spec.timeout) * 1000);
  if (timeoutUs > 0) args.push('-rw_timeout', String(timeoutUs));

  args.push('-user_agent', userAgentFor(spec.userAgent, input.toolVersion, clientId));

  let url = input.url;
  const headers: Array<[string, string]> = Object.entries(spec.headers);
  if (spec.resolve) {
    const resolved = applyResolve(url, spec.resolve);
    url = resolved.url;
    // The user's own Host header wins if they set one.
    if (!headers.some(([name]) => name.toLowerCase() === 'host'))
      headers.unshift(['Host', resolved.hostHeader]);
  }
  if (spec.noCache) {
    headers.push(['Cache-Control', 'no-cache'], ['Pragma', 'no-cache']);
  }
  const cmcdSession = CMCD_SESSION_HEADER.toLowerCase();
  if (input.sessionId !== undefined && !headers.some(([name]) => name.toLowerCase() === cmcdSession)) {
    headers.push([CMCD_SESSION_HEADER, cmcdSessionHeaderValue(input.sessionId)]);
  }
  if (headers.length > 0) {
    args.push('-headers', headers.map(([name, value]) => `${name}: ${value}\r\n`).join(''));
  }

  // An explicit segMaxRetry on an ffmpeg without the option is refused at start (segMaxRetryProblem).
  if (capabilities.hasSegMaxRetry) args.push('-seg_max_retry', String(spec.segMaxRetry ?? SEG_MAX_RETRY));

  args.push('-i', url);
  for (const map of input.variantMaps ?? []) args.push('-map', map);
  args.push('-c', 'copy', '-f', 'null', '-');

  return { file: capabilities.path, args, printable: printableCommand(capabilities.path, args) };
}

/**
 * A shell line for `file args` with secrets redacted by the shared rule (system's redact.ts):
 * header names and values, URL tokens, and credential-looking text in any other argument.
 */
export function printableCommand(file: string, args: readonly string[]): string {
  const shown = args.map((arg, index) => {
    const option = args[index - 1];
    if (option === '-headers') return redactHeaderBlock(arg);
    if (option === '-i') return redactUrl(arg);
    return redactText(arg);
  });
  return [file, ...shown].map(shellQuote).join(' ');
}

/** The same command reading `inputUrl` instead (the start gate's URL for this viewer). */
export function withInputUrl(command: ClientCommand, inputUrl: string): ClientCommand {
  const args = [...command.args];
  const index = args.indexOf('-i');
  if (index < 0 || index + 1 >= args.length) throw new Error('the viewer command has no -i input');
  args[index + 1] = inputUrl;
  return { file: command.file, args, printable: printableCommand(command.file, args) };
}

/** The URL a command reads (its `-i` argument). */
export function inputUrlOf(command: Pick<ClientCommand, 'args'>): string {
  const index = command.args.indexOf('-i');
  return command.args[index + 1] ?? '';
}
