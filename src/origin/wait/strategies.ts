import { type Dispatcher, request } from 'undici';

/*
 * Readiness checks shared by every origin kind (python, nginx, vm, container, external):
 * each is a small strategy that makes one attempt and says why it is not ready yet;
 * `waitForAll` (./wait-for-all.ts) polls them under one overall timeout.
 */

/** User-Agent of every readiness request. */
export const READINESS_USER_AGENT = 'hls-swarm-readiness';

/** The outcome of one attempt: ready, or a short reason shown if the wait times out. */
export type CheckResult = { ready: true; detail?: string } | { ready: false; reason: string };

export interface CheckContext {
  signal: AbortSignal;
  /** HTTP client to use (waitForAll closes it at the end so no socket outlives the wait). */
  dispatcher?: Dispatcher;
  /** Per-attempt timeout. */
  attemptTimeoutMs: number;
}

export interface WaitStrategy {
  /** What is awaited, e.g. "playlist http://127.0.0.1:17080/stream.m3u8 with >= 3 segments". */
  readonly description: string;
  /** Log to show the tail of when this does not come up. */
  logFile?: string;
  check(context: CheckContext): Promise<CheckResult>;
  /** Fluent: names the log whose tail explains a failure. */
  withLog(path: string | undefined): this;
}

abstract class BaseStrategy implements WaitStrategy {
  logFile?: string;
  abstract readonly description: string;
  abstract check(context: CheckContext): Promise<CheckResult>;
  withLog(path: string | undefined): this {
    if (path) this.logFile = path;
    return this;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'no answer in time';
  return code ? `${code}: ${error.message}` : error.message;
}

/** GET `url` and return status, headers and body text (bounded: readiness bodies are small). */
export async function fetchText(
  url: string,
  context: CheckContext,
  maxBytes = 4 * 1024 * 1024,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const response = await request(url, {
    method: 'GET',
    // Lets access-log analysis tell readiness probes from viewers.
    headers: { 'user-agent': READINESS_USER_AGENT },
    signal: context.signal,
    headersTimeout: context.attemptTimeoutMs,
    bodyTimeout: context.attemptTimeoutMs,
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
  });
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.body.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

class HttpOkStrategy extends BaseStrategy {
  readonly description: string;
  constructor(
    readonly url: string,
    readonly expectStatus: (status: number) => boolean,
  ) {
    super();
    this.description = `HTTP ${url}`;
  }
  async check(context: CheckContext): Promise<CheckResult> {
    try {
      const { status } = await fetchText(this.url, context, 64 * 1024);
      return this.expectStatus(status) ? { ready: true } : { ready: false, reason: `HTTP ${status}` };
    } catch (error) {
      return { ready: false, reason: describeError(error) };
    }
  }
}

/** Ready when `url` answers with a 2xx status (or one `expectStatus` accepts). */
export function waitForHttpOk(
  url: string,
  options: { expectStatus?: (status: number) => boolean; logFile?: string } = {},
): WaitStrategy {
  return new HttpOkStrategy(url, options.expectStatus ?? ((status) => status >= 200 && status < 300)).withLog(
    options.logFile,
  );
}

/** Media segment URIs listed in a media playlist (lines that are neither tags nor blank). */
export function playlistSegments(text: string): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const segments: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (lines[index]?.startsWith('#EXTINF')) {
      const uri = lines.slice(index + 1).find((line) => line && !line.startsWith('#'));
      if (uri) segments.push(uri);
    }
  }
  return segments;
}

/** Variant playlist URIs of a master playlist, in order (empty for a media playlist). */
export function masterVariants(text: string): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const variants: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (lines[index]?.startsWith('#EXT-X-STREAM-INF')) {
      const uri = lines.slice(index + 1).find((line) => line && !line.startsWith('#'));
      if (uri) variants.push(uri);
    }
  }
  return variants;
}

class PlaylistStrategy extends BaseStrategy {
  readonly description: string;
  constructor(
    readonly url: string,
    readonly minSegments: number,
  ) {
    super();
    this.description = `playlist ${url} with >= ${minSegments} segment${minSegments === 1 ? '' : 's'}`;
  }
  async check(context: CheckContext): Promise<CheckResult> {
    try {
      let url = this.url;
      let answer = await fetchText(url, context);
      if (answer.status !== 200) return { ready: false, reason: `HTTP ${answer.status} for ${url}` };
      if (!answer.body.startsWith('#EXTM3U'))
        return { ready: false, reason: `${url} is not an M3U8 playlist` };
      const variants = masterVariants(answer.body);
      if (variants.length > 0) {
        url = new URL(variants[0] as string, url).href;
        answer = await fetchText(url, context);
        if (answer.status !== 200)
          return { ready: false, reason: `HTTP ${answer.status} for variant ${url}` };
      }
      const count = playlistSegments(answer.body).length;
      if (count < this.minSegments) return { ready: false, reason: `${count} segment(s) listed in ${url}` };
      return { ready: true, detail: `${count} segments in ${url}` };
    } catch (error) {
      return { ready: false, reason: describeError(error) };
    }
  }
}

/**
 * Ready when the playlist answers 200 and lists at least `minSegments` segments; a master
 * playlist is followed to its first variant, whose segments are counted.
 */
export function waitForPlaylist(
  url: string,
  options: { minSegments?: number; logFile?: string } = {},
): WaitStrategy {
  return new PlaylistStrategy(url, options.minSegments ?? 3).withLog(options.logFile);
}

/** Splits a selector like `node_network_receive_bytes_total{device="lo"}` into name and labels. */
export function parseMetricSelector(selector: string): { name: string; labels: Record<string, string> } {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(selector.trim());
  if (!match)
    throw new RangeError(`Not a metric selector: '${selector}' (expected name or name{label="value"})`);
  const labels: Record<string, string> = {};
  for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
    labels[pair[1] as string] = pair[2] as string;
  }
  return { name: match[1] as string, labels };
}

/** Values of the samples in a Prometheus text exposition that match a selector. */
export function findSamples(exposition: string, selector: string): number[] {
  const { name, labels } = parseMetricSelector(selector);
  const values: number[] = [];
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    let labelText = '';
    let valueText = rest;
    if (rest[0] === '{') {
      const close = rest.lastIndexOf('}');
      labelText = rest.slice(1, close);
      valueText = rest.slice(close + 1);
    }
    const sampleLabels: Record<string, string> = {};
    for (const pair of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      sampleLabels[pair[1] as string] = pair[2] as string;
    }
    if (!Object.entries(labels).every(([key, value]) => sampleLabels[key] === value)) continue;
    const value = Number(valueText.trim().split(/\s+/)[0]);
    if (!Number.isNaN(value)) values.push(value);
  }
  return values;
}

class MetricStrategy extends BaseStrategy {
  readonly description: string;
  constructor(
    readonly url: string,
    readonly selector: string,
    readonly accept: ((value: number) => boolean) | undefined,
    acceptText: string,
  ) {
    super();
    parseMetricSelector(selector);
    this.description = `metric ${selector}${acceptText} at ${url}`;
  }
  async check(context: CheckContext): Promise<CheckResult> {
    try {
      const answer = await fetchText(this.url, context);
      if (answer.status !== 200) return { ready: false, reason: `HTTP ${answer.status}` };
      const values = findSamples(answer.body, this.selector);
      if (values.length === 0) return { ready: false, reason: `no sample of ${this.selector}` };
      if (this.accept && !values.some(this.accept)) {
        return { ready: false, reason: `${this.selector} = ${values.join(', ')}` };
      }
      return { ready: true, detail: `${this.selector} = ${values.join(', ')}` };
    } catch (error) {
      return { ready: false, reason: describeError(error) };
    }
  }
}

/**
 * Ready when the Prometheus endpoint `url` exposes a sample matching `selector` (a name, or
 * name{label="value",…}); with `equals`/`accept`, one sample must also have that value.
 */
export function waitForMetric(
  url: string,
  selector: string,
  options: { equals?: number; accept?: (value: number) => boolean; logFile?: string } = {},
): WaitStrategy {
  const accept =
    options.accept ??
    (options.equals !== undefined ? (value: number) => value === options.equals : undefined);
  const acceptText =
    options.equals !== undefined ? ` = ${options.equals}` : options.accept ? ' (accepted)' : '';
  return new MetricStrategy(url, selector, accept, acceptText).withLog(options.logFile);
}
