import { z } from 'zod';
import { DURATION_HINT, tryParseDurationMs } from './duration.js';

/*
 * Scenario schema. Durations stay strings in the parsed config (so a report shows what the
 * user wrote); layers convert them with parseDurationMs when they use them.
 * Every object is strict: an unknown key is an error, since a typo in a load test silently
 * changing nothing is worse than a failed run.
 */

export const durationSchema = z
  .string({ error: `expected ${DURATION_HINT}` })
  .refine((text) => tryParseDurationMs(text) !== undefined, { error: `expected ${DURATION_HINT}` })
  .meta({
    description: "Duration such as '500ms', '30s', '2m' or '1m30s'",
    pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h))+$',
  });

const positiveInt = (what = 'a positive integer') =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .positive({ error: `expected ${what}` });
const port = z
  .number({ error: 'expected a TCP port 0-65535 (0 picks a free port)' })
  .int({ error: 'expected a TCP port 0-65535 (0 picks a free port)' })
  .min(0, { error: 'expected a TCP port 0-65535 (0 picks a free port)' })
  .max(65535, { error: 'expected a TCP port 0-65535 (0 picks a free port)' });
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const bindAddress = z
  .string()
  .min(1)
  .default('127.0.0.1')
  .describe('Address servers bind to; 127.0.0.1 unless you mean otherwise');

export const PROFILE_NAMES = ['default', 'low-latency', 'abr', 'stress', 'tiny'] as const;
export const profileNameSchema = z.enum(PROFILE_NAMES, {
  error: `expected one of ${PROFILE_NAMES.join(', ')}`,
});

const originCommon = {
  profile: profileNameSchema.default('default').describe('Generator profile (src/origin/profiles.json)'),
  readyTimeout: durationSchema.default('60s').describe('How long the origin may take to become ready'),
  minSegments: positiveInt()
    .default(3)
    .describe('Segments the playlist must list before the origin is ready'),
};

export const pythonOriginSchema = z.strictObject({
  kind: z.literal('python'),
  ...originCommon,
  port: port.optional().describe('HTTP port; default ORIGIN_PORT or 17088; 0 picks a free port'),
  bind: bindAddress,
});

export const nginxOriginSchema = z.strictObject({
  kind: z.literal('nginx'),
  ...originCommon,
  port: port.optional().describe('nginx port; default MICROVM_HTTP_PORT or 17080; 0 picks a free port'),
  nginxExporterPort: port.optional().describe('default MICROVM_METRICS_PORT or 17113; 0 picks a free port'),
  nodeExporterPort: port.optional().describe('default 17100; 0 picks a free port'),
  exporters: z
    .boolean()
    .default(true)
    .describe('Start prometheus-nginx-exporter and prometheus-node-exporter'),
  bind: bindAddress,
});

export const vmOriginSchema = z.strictObject({
  kind: z.literal('vm'),
  ...originCommon,
  readyTimeout: durationSchema.default('180s'),
  runner: z
    .array(z.string())
    .min(1)
    .optional()
    .describe('Command that runs the VM (e.g. the Nix microvm runner)'),
  image: z
    .strictObject({ kernel: z.string(), initrd: z.string().optional(), disk: z.string() })
    .optional()
    .describe('Boot QEMU directly from these files; default: the Debian guest built by nix/debian'),
  network: z.enum(['user', 'tap']).default('user'),
  accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
  memoryMiB: positiveInt().default(1024),
  cpus: positiveInt().default(2),
  port: port.optional().describe('Host port forwarded to guest 17080; default MICROVM_HTTP_PORT or 17080'),
  nginxExporterPort: port.optional().describe('Host port forwarded to guest 9113; default 17113'),
  nodeExporterPort: port.optional().describe('Host port forwarded to guest 9100; default 17100'),
  sshPort: port
    .optional()
    .describe('Host port forwarded to guest 22 (only with sshPublicKey); default 17122'),
  consolePort: port
    .optional()
    .describe('Serial console on TCP (off by default: the console is logged to a file)'),
  sshPublicKey: z.string().optional().describe('Enables SSH in the guest for this key; SSH is off otherwise'),
  hostAddress: z.string().default('127.0.0.1').describe('Host address the forwards bind to'),
});

export const containerOriginSchema = z.strictObject({
  kind: z.literal('container'),
  ...originCommon,
  readyTimeout: durationSchema.default('120s'),
  image: z.string().optional().describe('Image to run; default: build the Dockerfile in nix/container'),
  network: z
    .enum(['auto', 'host', 'bridge'])
    .default('auto')
    .describe('auto: mapped ports, or host networking where there is no bridge'),
  port: port.optional(),
  nginxExporterPort: port.optional(),
  nodeExporterPort: port.optional(),
});

export const externalOriginSchema = z.strictObject({
  kind: z.literal('external'),
  url: httpUrl.describe('The stream URL (master or media playlist)'),
  exporters: z.strictObject({ nginx: httpUrl.optional(), node: httpUrl.optional() }).default({}),
  allowRemote: z.boolean().default(false).describe('Required to load a host that is not loopback'),
  readyTimeout: durationSchema.default('30s'),
  minSegments: positiveInt().default(1),
});

export const ORIGIN_KINDS = ['python', 'nginx', 'vm', 'container', 'external'] as const;
export const originSchema = z.discriminatedUnion(
  'kind',
  [pythonOriginSchema, nginxOriginSchema, vmOriginSchema, containerOriginSchema, externalOriginSchema],
  { error: `expected an origin with kind one of ${ORIGIN_KINDS.join(', ')}` },
);

export const stageSchema = z.strictObject({
  duration: durationSchema,
  target: z.number().int().min(0, { error: 'expected a client count >= 0' }),
});

export const restartSchema = z.strictObject({
  enabled: z.boolean().default(true),
  maxRestarts: z.number().int().min(0).optional().describe('Per client; unlimited when absent'),
  onStall: z.boolean().default(false).describe('Restart a client whose playback stalls'),
  backoffInitial: durationSchema.default('250ms'),
  backoffMultiplier: z.number().min(1).default(1.7),
  backoffMax: durationSchema.default('5s'),
  resetAfter: durationSchema.default('30s').describe('Uptime after which the backoff starts over'),
});

export const VARIANTS = ['all', 'highest', 'lowest', 'first'] as const;

export const swarmSchema = z.strictObject({
  clients: positiveInt().describe('Viewers to run at the hold stage'),
  rampRate: z
    .number({ error: 'expected clients per second > 0' })
    .positive({ error: 'expected clients per second > 0' })
    .default(10),
  rampJitter: durationSchema
    .default('0ms')
    .describe('Deterministic per-client start jitter, at most this long'),
  duration: durationSchema.default('30s').describe('Total run time, ramp included'),
  stages: z
    .array(stageSchema)
    .min(1)
    .optional()
    .describe('k6-style stages; overrides clients/rampRate/duration'),
  warmup: durationSchema.default('5s').describe('After the ramp, before the steady window starts'),
  variant: z.enum(VARIANTS, { error: `expected one of ${VARIANTS.join(', ')}` }).default('all'),
  variantProbeFailure: z
    .enum(['fallback', 'fail'])
    .default('fallback')
    .describe("'fallback' uses the first variant"),
  headers: z.record(z.string(), z.string()).default({}),
  noCache: z.boolean().default(false),
  resolve: z.string().optional().describe('Connect to this IP, keep the Host header of the URL'),
  timeout: durationSchema.default('15s').describe('ffmpeg -rw_timeout'),
  reconnect: z.boolean().default(true),
  reconnectDelayMax: durationSchema.default('5s'),
  restart: restartSchema.default(restartSchema.parse({})),
  stallWindow: durationSchema
    .default('10s')
    .describe('Window for playback speed and stall detection (>= 10s)'),
  logLevel: z
    .enum(['trace', 'debug', 'verbose'])
    .default('trace')
    .describe('trace gives exact status and bytes per request'),
  timedViewers: z
    .union([
      z
        .number({ error: "expected a whole number >= 0 or 'all'" })
        .int({ error: "expected a whole number >= 0 or 'all'" })
        .min(0, { error: "expected a whole number >= 0 or 'all'" }),
      z.literal('all'),
    ])
    .default(50)
    .describe(
      'Viewers whose log is read as it arrives, for request timings (TTFB, duration); the rest are read every 250 ms: exact counts, statuses and bytes, no timings',
    ),
  metricsPort: port
    .optional()
    .describe('Swarm /metrics port; default METRICS_PORT or 17091; 0 picks a free port'),
  stopGrace: durationSchema.default('3s'),
});

const windowSchema = z
  .union([z.literal('steady'), z.literal('whole'), durationSchema])
  .describe("'steady' (default), 'whole', or a sliding window length such as '10s'");

export const thresholdObjectSchema = z.strictObject({
  threshold: z.string({ error: 'expected a threshold expression such as "p(95)<0.5"' }),
  abortOnFail: z.boolean().default(false),
  delayAbortEval: durationSchema.optional(),
  window: windowSchema.default('steady'),
  strict: z.boolean().default(true).describe('false reports the result without failing the run'),
});

export const thresholdSchema = z.union([z.string(), thresholdObjectSchema], {
  error:
    'expected a threshold string such as "p(95)<0.5" or an object { threshold, abortOnFail?, window?, strict? }',
});

export const sloSchema = z.record(
  z.string().min(1),
  z.union([thresholdSchema, z.array(thresholdSchema).min(1)], {
    error: 'expected a threshold string, a threshold object, or an array of them',
  }),
);

export const scrapeTargetSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/, { error: 'expected a lowercase name like "cdn-edge"' }),
  url: httpUrl,
  interval: durationSchema.default('2s'),
});

export const metricsSchema = z.strictObject({
  swarmInterval: durationSchema.default('1s'),
  exporterInterval: durationSchema.default('2s'),
  scrapeTimeout: durationSchema.default('1s'),
  targets: z.array(scrapeTargetSchema).default([]),
});

export const reportSchemaOptions = z.strictObject({
  dir: z.string().default('reports'),
  timeseries: z.boolean().default(true),
  progressInterval: durationSchema.default('5s'),
});

/** The load generator (this host running the viewers). */
export const generatorSchema = z.strictObject({
  capacityCheck: z
    .enum(['warn', 'error', 'off'], { error: "expected 'warn', 'error' or 'off'" })
    .default('warn')
    .describe(
      "Before anything starts, compare the peak viewers with this host's cached calibration (hls-swarm calibrate): 'warn' logs, 'error' refuses to start",
    ),
});

export const scenarioSchema = z.strictObject({
  name: z
    .string({ error: 'expected a scenario name' })
    .min(1, { error: 'expected a non-empty scenario name' }),
  description: z.string().optional(),
  origin: originSchema,
  swarm: swarmSchema,
  slo: sloSchema.default({}),
  metrics: metricsSchema.default(metricsSchema.parse({})),
  report: reportSchemaOptions.default(reportSchemaOptions.parse({})),
  generator: generatorSchema.default(generatorSchema.parse({})),
});

/** What a user writes (defaults optional). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario with defaults applied. */
export type Scenario = z.output<typeof scenarioSchema>;
export type OriginSpec = z.output<typeof originSchema>;
export type OriginSpecInput = z.input<typeof originSchema>;
export type OriginKind = OriginSpec['kind'];
export type SwarmSpec = z.output<typeof swarmSchema>;
export type SwarmSpecInput = z.input<typeof swarmSchema>;
export type ThresholdSpec = z.output<typeof thresholdSchema>;
export type ThresholdObject = z.output<typeof thresholdObjectSchema>;
export type SloSpec = z.output<typeof sloSchema>;
export type MetricsSpec = z.output<typeof metricsSchema>;
export type GeneratorSpec = z.output<typeof generatorSchema>;
export type ProfileName = (typeof PROFILE_NAMES)[number];
export type Variant = (typeof VARIANTS)[number];
