import { parseArgs } from 'node:util';
import { type SwarmSpec, swarmSchema } from '../../src/config/index.js';

/**
 * 'group': a plain loop, every ffmpeg in the shell's one session; 'session': each started with
 * `setsid`, in its own session as hls-swarm does (each viewer is its own process group there).
 */
export type FleetLayout = 'group' | 'session';

export const USAGE = `The swarm engine's benchmark (not a test): real nginx + live generator on loopback, real ffmpeg viewers.

  node --import tsx bench/swarm.ts [--clients 300] [--seconds 60] [--scale 1000] [--scale-seconds 60]
       [--parts overhead,accuracy,scale,ramp] [--profile default] [--ramp-rate 50] [--scale-ramp-rate 25]
       [--timed-viewers 50|all] [--relay] [--layouts group,session] [--log-level trace]
       [--out reports/bench-swarm.json]

--relay: the timed viewers go through the measuring relay (swarm.relay) and every log is read in batches.
--layouts: which bare fleets run beside the swarm (group: one shell session; session: setsid per
  ffmpeg, the fair baseline). One layout leaves 2 cores for 600 ffmpegs instead of 900.

Prints one markdown table (for BENCHMARKS.md) and writes the raw numbers as JSON to --out.
`;

export type BenchPart = 'overhead' | 'accuracy' | 'scale' | 'ramp';

export interface BenchOptions {
  /** Viewers of the overhead/accuracy phase (and of each bare fleet). */
  clients: number;
  /** Steady window of the overhead/accuracy phase. */
  windowSeconds: number;
  scaleClients: number;
  scaleSeconds: number;
  rampRate: number;
  scaleRampRate: number;
  logLevel: SwarmSpec['logLevel'];
  timedViewers: number | 'all';
  /** swarm.relay.enabled */
  relay: boolean;
  /** Bare fleets run beside the swarm in the overhead part. */
  layouts: FleetLayout[];
  parts: Set<string>;
  profile: string;
  out: string;
}

/** The command line, or undefined after printing the usage for --help. */
export function parseBenchOptions(argv: string[] = process.argv.slice(2)): BenchOptions | undefined {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    // An unknown or malformed flag: say which, show the usage, exit 2 (no stack trace).
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const values = parsed.values;
  if (values.help) {
    process.stdout.write(USAGE);
    return undefined;
  }
  return {
    clients: Number(values.clients),
    windowSeconds: Number(values.seconds),
    scaleClients: Number(values.scale),
    scaleSeconds: Number(values['scale-seconds']),
    rampRate: Number(values['ramp-rate']),
    scaleRampRate: Number(values['scale-ramp-rate']),
    logLevel: values['log-level'] as SwarmSpec['logLevel'],
    timedViewers: values['timed-viewers'] === 'all' ? 'all' : Number(values['timed-viewers']),
    relay: values.relay,
    layouts: parseLayouts(values.layouts),
    parts: new Set(values.parts.split(',')),
    profile: values.profile,
    out: values.out,
  };
}

function parseLayouts(text: string): FleetLayout[] {
  const layouts = text.split(',').filter(Boolean);
  const unknown = layouts.filter((layout) => layout !== 'group' && layout !== 'session');
  if (unknown.length > 0 || layouts.length === 0) {
    process.stderr.write(`--layouts: expected group and/or session, got '${text}'\n\n${USAGE}`);
    process.exit(2);
  }
  return layouts as FleetLayout[];
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      clients: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '60' },
      scale: { type: 'string', default: '1000' },
      'scale-seconds': { type: 'string', default: '60' },
      'ramp-rate': { type: 'string', default: '50' },
      'scale-ramp-rate': { type: 'string', default: '25' },
      'log-level': { type: 'string', default: 'trace' },
      'timed-viewers': { type: 'string', default: '50' },
      relay: { type: 'boolean', default: false },
      layouts: { type: 'string', default: 'group,session' },
      parts: { type: 'string', default: 'overhead,accuracy,scale,ramp' },
      profile: { type: 'string', default: 'default' },
      out: { type: 'string', default: 'reports/bench-swarm.json' },
    },
  });
}

/** The swarm spec every phase uses: `count` viewers for `durationSeconds`, at the bench's log level. */
export function specFor(
  options: BenchOptions,
  count: number,
  durationSeconds: number,
  rate = options.rampRate,
): SwarmSpec {
  return swarmSchema.parse({
    clients: count,
    rampRate: rate,
    duration: `${durationSeconds}s`,
    metricsPort: 0,
    logLevel: options.logLevel,
    timedViewers: options.timedViewers,
    relay: { enabled: options.relay },
    // The bare fleets beside it run at nice 0 in sessions of their own; viewers at the default
    // autogroup nice 19 would wait behind 600 starting bare ffmpegs (measured: 2 of 300 at the
    // gate after the 120 s prepare), and the comparison would not be like for like.
    viewerNice: 0,
  });
}
