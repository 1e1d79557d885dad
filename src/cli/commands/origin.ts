import { parseArgs } from 'node:util';
import { ORIGIN_KINDS, originSchema, parseWith } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { UsageError } from '../errors.js';

export const usage = `Usage: hls-swarm origin start --kind ${ORIGIN_KINDS.join('|')} [options]

Starts an origin, prints ONE JSON line on stdout once it is ready
  {"kind":…,"streamUrl":…,"exporters":{…},"accessLog":…,"logs":{…},"versions":{…},"ports":{…},"pids":[…]}
and runs until SIGINT/SIGTERM (Ctrl-C), then stops everything it started (exit 0).
  --kind K            python | nginx | vm | container | external (required)
  --profile P         generator profile: default, low-latency, abr, stress, tiny
  --port N            HTTP port (0 picks a free one; nginx: exporters too unless given)
  --nginx-exporter-port N, --node-exporter-port N
  --bind ADDR         address python/nginx bind to (default 127.0.0.1)
  --no-exporters      nginx: do not start the Prometheus exporters
  --min-segments N    segments the playlist must list before ready
  --ready-timeout D   e.g. 60s
  --log-dir DIR       keep the logs in DIR (default: a temp folder removed on stop)
  --image I           container: image name; vm: kernel=PATH,disk=PATH[,initrd=PATH] or JSON
  --runner CMD        vm: command that runs the VM (split on spaces, or a JSON array)
  --network N         vm: user|tap; container: auto|host|bridge
  --url U             external: the stream URL
  --nginx-metrics U, --node-metrics U   external: exporter URLs
  --allow-remote      external: allow a host that is not loopback
  --spec JSON         a whole origin object (flags above override its fields)`;

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} expects a whole number, got '${value}'`);
  return Number(value);
}

function parseJson(value: string, flag: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new UsageError(`${flag} expects JSON, got '${value}'`);
  }
}

/** --image for a VM: `kernel=…,disk=…[,initrd=…]` or a JSON object. */
function vmImage(value: string): unknown {
  if (value.trim().startsWith('{')) return parseJson(value, '--image');
  const image: Record<string, string> = {};
  for (const part of value.split(',')) {
    const [key, ...rest] = part.split('=');
    if (!key || rest.length === 0) {
      throw new UsageError(`--image for a vm expects kernel=PATH,disk=PATH[,initrd=PATH], got '${value}'`);
    }
    image[key.trim()] = rest.join('=');
  }
  return image;
}

/** node:util parseArgs over our flags; its errors (unknown option, missing value) are UsageErrors (exit 2). */
function parseOriginArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        kind: { type: 'string' },
        profile: { type: 'string' },
        port: { type: 'string' },
        'nginx-exporter-port': { type: 'string' },
        'node-exporter-port': { type: 'string' },
        bind: { type: 'string' },
        'no-exporters': { type: 'boolean' },
        'min-segments': { type: 'string' },
        'ready-timeout': { type: 'string' },
        'log-dir': { type: 'string' },
        image: { type: 'string' },
        runner: { type: 'string' },
        network: { type: 'string' },
        url: { type: 'string' },
        'nginx-metrics': { type: 'string' },
        'node-metrics': { type: 'string' },
        'allow-remote': { type: 'boolean' },
        spec: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The origin object (before validation) a command line describes, and where logs go. */
export function originInputFromArgs(argv: string[]): { input: Record<string, unknown>; logDir?: string } {
  const { values, positionals } = parseOriginArgs(argv);
  if (positionals[0] !== 'start' || positionals.length > 1) {
    throw new UsageError(
      positionals.length === 0 ? 'expected the subcommand start' : `unexpected '${positionals.join(' ')}'`,
    );
  }
  const base = values.spec ? parseJson(values.spec, '--spec') : {};
  if (typeof base !== 'object' || base === null || Array.isArray(base)) {
    throw new UsageError('--spec expects a JSON object such as {"kind":"python","port":0}');
  }
  const input: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  const kind = values.kind ?? (input.kind as string | undefined);
  if (!kind) throw new UsageError(`--kind is required (one of ${ORIGIN_KINDS.join(', ')})`);
  input.kind = kind;
  const set = (key: string, value: unknown) => {
    if (value !== undefined) input[key] = value;
  };
  set('profile', values.profile);
  set('port', integer(values.port, '--port'));
  set('nginxExporterPort', integer(values['nginx-exporter-port'], '--nginx-exporter-port'));
  set('nodeExporterPort', integer(values['node-exporter-port'], '--node-exporter-port'));
  set('bind', values.bind);
  if (values['no-exporters']) input.exporters = false;
  set('minSegments', integer(values['min-segments'], '--min-segments'));
  set('readyTimeout', values['ready-timeout']);
  if (values.image !== undefined) input.image = kind === 'vm' ? vmImage(values.image) : values.image;
  if (values.runner !== undefined) {
    input.runner = values.runner.trim().startsWith('[')
      ? parseJson(values.runner, '--runner')
      : values.runner.split(/\s+/).filter(Boolean);
  }
  set('network', values.network);
  set('url', values.url);
  if (values['nginx-metrics'] !== undefined || values['node-metrics'] !== undefined) {
    const exporters = { ...((input.exporters as Record<string, unknown> | undefined) ?? {}) };
    if (values['nginx-metrics'] !== undefined) exporters.nginx = values['nginx-metrics'];
    if (values['node-metrics'] !== undefined) exporters.node = values['node-metrics'];
    input.exporters = exporters;
  }
  if (values['allow-remote']) input.allowRemote = true;
  return values['log-dir'] !== undefined ? { input, logDir: values['log-dir'] } : { input };
}

/** The line printed once the origin is ready. */
export function readyLine(origin: RunningOrigin): string {
  return JSON.stringify({
    kind: origin.kind,
    streamUrl: origin.streamUrl,
    exporters: origin.exporters,
    accessLog: origin.accessLog ?? null,
    logs: origin.logs,
    versions: origin.versions,
    profile: origin.profile ?? null,
    ports: origin.ports ?? {},
    pids: origin.status().processes.flatMap((entry) => (entry.pid !== undefined ? [entry.pid] : [])),
  });
}

export async function run(argv: string[]): Promise<number> {
  const { input, logDir } = originInputFromArgs(argv);
  const spec = parseWith(originSchema, input, 'origin (from the command line)');

  // Ctrl-C while starting aborts the start (the driver stops what it began); once ready it stops the origin.
  const abort = new AbortController();
  let stopRequested: (() => void) | undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      abort.abort(new Error(`received ${signal}`));
      resolve(signal);
    };
    // `on`, removed by hand when done: with `once`, signal-exit (loaded by testcontainers through
    // proper-lockfile) sees no listener left after the first signal and re-raises it, so the CLI
    // died of SIGTERM instead of stopping the origin and exiting 0.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    stopRequested = () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    };
  });

  let origin: RunningOrigin;
  try {
    origin = await startOrigin(spec, { signal: abort.signal, ...(logDir ? { logDir } : {}) });
  } catch (error) {
    stopRequested?.();
    if (abort.signal.aborted) {
      process.stderr.write('hls-swarm origin: interrupted while starting; everything started was stopped.\n');
      return 130;
    }
    throw error;
  }
  process.stdout.write(`${readyLine(origin)}\n`);

  // Say on stderr when one of the origin's processes dies (the origin keeps running what is left).
  const reported = new Set<string>();
  const monitor = setInterval(() => {
    for (const problem of origin.status().problems) {
      if (reported.has(problem)) continue;
      reported.add(problem);
      process.stderr.write(`hls-swarm origin: ${problem}\n`);
    }
  }, 1000);

  const signal = await stopSignal;
  clearInterval(monitor);
  stopRequested?.();
  process.stderr.write(`hls-swarm origin: ${signal}: stopping the ${origin.kind} origin\n`);
  await origin.stop();
  return 0;
}
