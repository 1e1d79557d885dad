import { z } from 'zod';
import { REQUEST_KINDS } from '../config/index.js';

/*
 * The JSON report: one file per scenario run, written by the Vitest plugin and by
 * `hls-swarm run --report`. Versioned: a consumer checks `schemaVersion` before reading.
 * Times are epoch milliseconds (`…Ms`) plus ISO strings where a human reads them; durations
 * in seconds are named `…Seconds`. Objects are strict so the JSON Schema says exactly what is there.
 */

export const REPORT_SCHEMA_VERSION = 1 as const;

export const VERDICTS = ['pass', 'fail', 'inconclusive', 'interrupted', 'error'] as const;
export const verdictSchema = z
  .enum(VERDICTS)
  .describe(
    'pass: every strict threshold held; fail: a strict threshold failed; inconclusive: the load generator was saturated (generator.onSaturation), so latencies measured the generator, and no threshold unaffected by it failed; interrupted: stopped early (timeout, Ctrl-C, abort signal); error: the run could not complete (origin, swarm or tool failure)',
  );

const finiteNumber = z.number();
const nullableNumber = z.number().nullable();

export const distributionSummarySchema = z
  .strictObject({
    count: z.number().int().min(0),
    min: finiteNumber,
    mean: finiteNumber,
    p50: finiteNumber,
    p90: finiteNumber,
    p95: finiteNumber,
    p99: finiteNumber,
    max: finiteNumber,
  })
  .describe('Summary of a merged distribution (all clients together); zeros when count is 0');

export const requestCountsSchema = z.strictObject({
  total: z.number().int().min(0),
  ok: z.number().int().min(0),
  failed: z.number().int().min(0),
  bytes: z.number().min(0),
});

export const timelineSchema = z
  .strictObject({
    startedAt: z.string().describe('ISO 8601 time the run began (origin boot included)'),
    startMs: z.number().describe('Epoch ms the run began'),
    prepareStartMs: nullableNumber
      .optional()
      .describe(
        'Epoch ms the start gate began spawning viewers ahead of the plan (the prepare phase, not measured); null without the gate',
      ),
    swarmStartMs: nullableNumber.describe(
      "Epoch ms the measured run began (the plan's t = 0: the first viewer was due); null if never",
    ),
    rampEndMs: nullableNumber.describe('Epoch ms the ramp reached its target; null if it never did'),
    steadyStartMs: nullableNumber.describe('Epoch ms the steady window began (ramp end + warm-up)'),
    endMs: z.number().describe('Epoch ms the run ended (swarm and origin stopped)'),
    endedAt: z.string(),
    durationSeconds: z.number().min(0).describe('endMs - startMs in seconds'),
    plannedSwarmSeconds: z.number().min(0).describe('What the scenario asked for (duration or stages total)'),
    actions: z
      .array(
        z.strictObject({
          name: z.string(),
          atMs: z.number(),
          ok: z.boolean(),
          error: z.string().optional(),
        }),
      )
      .describe('Actions the scenario ran during the swarm (e.g. stopping the origin), in order'),
  })
  .describe('When the phases of the run began and ended');

export const originProcessSchema = z.strictObject({
  name: z.string(),
  pid: z.number().int().optional(),
  running: z.boolean(),
  exitCode: z.number().int().optional(),
  signal: z.string().optional(),
  exitedAtMs: z.number().optional(),
  logFile: z.string().optional(),
});

export const originReportSchema = z
  .strictObject({
    kind: z.string(),
    streamUrl: z.string(),
    exporters: z.strictObject({ nginx: z.string().optional(), node: z.string().optional() }),
    accessLog: z.string().optional(),
    profile: z.string().optional(),
    versions: z.record(z.string(), z.string()).describe('e.g. { ffmpeg: "5.1.6", nginx: "1.22.1" }'),
    healthy: z.boolean().describe('False if any origin process died while it was meant to run'),
    problems: z.array(z.string()),
    processes: z.array(originProcessSchema),
    logs: z.record(z.string(), z.string()).describe('Log file per process name'),
  })
  .describe('The origin under test; null when it never started');

const count = z.number().int().min(0);

export const qoeReportSchema = z.strictObject({
  videoStartFailures: count.describe('Attempts that never played a first segment, with a failure or a crash'),
  videoStartFailureReasons: z
    .record(z.string(), count)
    .describe("By reason: the last failed request's HTTP status, its error kind, or exit:<category>"),
  exitsBeforeVideoStart: count.describe(
    'Attempts the plan stopped before their first segment, with no failure',
  ),
  attemptsPlayed: count.describe('Attempts that played a first segment'),
  watchSeconds: z.number().min(0).describe('Seconds the player model played, all viewers'),
  rebufferSeconds: z.number().min(0).describe('Seconds it was stalled after video start'),
  rebufferEvents: count.describe('Stalls after video start'),
  rebufferRatio: z.number().min(0).max(1).describe('rebufferSeconds / (watchSeconds + rebufferSeconds)'),
  rebufferFrequencyPerMinute: z.number().min(0).describe('rebufferEvents per minute of watchSeconds'),
  rebufferRatioPerAttempt: distributionSummarySchema
    .optional()
    .describe("Each played attempt's own rebuffer ratio (absent in merged shard reports)"),
  bufferSeconds: distributionSummarySchema
    .optional()
    .describe("The player model's buffer, per viewer per progress window (absent in merged shard reports)"),
  liveLatencyMethod: z
    .enum(['edge', 'program-date-time'])
    .describe(
      "edge: against the newest segment each viewer saw published; program-date-time: the playing segment's EXT-X-PROGRAM-DATE-TIME against the wall clock",
    ),
  variantSwitches: count.describe('Variant changes mid-stream (ffmpeg viewers never switch)'),
});

export const viewerKindReportSchema = z.strictObject({
  viewers: count.describe('Viewers of this kind in the plan'),
  requests: requestCountsSchema.describe("Every request of this kind's viewers, all request kinds"),
  segmentTtfbSeconds: distributionSummarySchema,
  segmentDurationSeconds: distributionSummarySchema,
  startupSeconds: distributionSummarySchema,
  qoe: z.strictObject({
    attemptsPlayed: count,
    videoStartFailures: count,
    exitsBeforeVideoStart: count,
    watchSeconds: z.number().min(0),
    rebufferSeconds: z.number().min(0),
    rebufferEvents: count,
    rebufferRatio: z.number().min(0).max(1),
  }),
});

export const swarmReportSchema = z
  .strictObject({
    ffmpeg: z.strictObject({ path: z.string(), version: z.string() }),
    clientsTarget: z.number().int().min(0),
    clientsStarted: z.number().int().min(0),
    clientsActiveAtEnd: z.number().int().min(0),
    restarts: z.number().int().min(0),
    stalledClients: z.number().int().min(0).describe('Stalled at the last sample'),
    reconnects: z.number().int().min(0),
    timeouts: z.number().int().min(0),
    segmentsSkippedExpired: z.number().int().min(0),
    playlistReloadFailures: z.number().int().min(0),
    droppedLines: z.number().int().min(0).describe('ffmpeg log lines dropped by bounded buffers'),
    timedViewers: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Viewers whose request timings feed the TTFB/duration distributions (swarm.timedViewers); every viewer counts requests, statuses and bytes',
      ),
    timingSource: z
      .enum(['relay', 'log'])
      .optional()
      .describe(
        "Where the TTFB/durations come from: 'relay' = measured by the loopback measuring relay from the bytes it passed on (µs resolution); 'log' = each ffmpeg log line stamped when Node read it (ms resolution)",
      ),
    startGate: z
      .strictObject({
        prepareSeconds: z.number().min(0).describe("First spawn → the run's start"),
        gatedViewers: z.number().int().min(0),
        heldAtStart: z.number().int().min(0).describe('Viewers waiting at the gate when the run started'),
        arrivalRatePerSecond: z
          .number()
          .min(0)
          .describe('Viewers that reached the gate per second while preparing'),
        prepareEnd: z
          .enum(['all-waiting', 'held-bound', 'max-prepare'])
          .describe(
            'all-waiting: every viewer waited at the gate; held-bound: the memory bound (startGate.maxHeld), the rest spawned during the run; max-prepare: startGate.maxPrepare ran out',
          ),
        releaseLatenessSeconds: distributionSummarySchema.describe('Planned start → released, per viewer'),
        lateReleases: z.number().int().min(0).describe('Releases more than 20 ms after the planned start'),
      })
      .optional()
      .describe('The start gate (swarm.startGate): viewers spawned ahead of the plan and released on time'),
    requests: z.record(z.enum(REQUEST_KINDS), requestCountsSchema).describe('Requests by kind'),
    bytesTotal: z.number().min(0),
    errorsByStatus: z.record(z.string(), z.number().int().min(0)).describe('HTTP error responses by status'),
    exitCategories: z.record(z.string(), z.number().int().min(0)).describe('Viewer exits by category'),
    throughputBytesPerSecond: z
      .number()
      .min(0)
      .describe('Response bytes per second, averaged over the time the swarm ran'),
    distributions: z.strictObject({
      segmentTtfbSeconds: distributionSummarySchema,
      segmentDurationSeconds: distributionSummarySchema,
      manifestTtfbSeconds: distributionSummarySchema,
      manifestDurationSeconds: distributionSummarySchema,
      startupSeconds: distributionSummarySchema,
      playbackSpeed: distributionSummarySchema,
      liveEdgeDriftSeconds: distributionSummarySchema
        .optional()
        .describe('How far behind their best position viewers fell, per progress window (live_edge_drift)'),
      liveLatencySeconds: distributionSummarySchema
        .optional()
        .describe(
          'How far behind the live edge viewers played, per viewer per progress window (live_latency)',
        ),
      variantBitrate: distributionSummarySchema
        .optional()
        .describe('Segment bits per media second each viewer pulled, per progress window (variant_bitrate)'),
    }),
    qoe: qoeReportSchema
      .optional()
      .describe('Player-side QoE (docs/metrics.md#player-qoe); absent in reports before 0.2'),
    viewerKinds: z
      .strictObject({ ffmpeg: viewerKindReportSchema.optional(), light: viewerKindReportSchema.optional() })
      .optional()
      .describe(
        'Per viewer kind (ffmpeg, light) when the swarm had light viewers (swarm.viewers): the kinds add up to the totals above',
      ),
    lightSchedulerLatenessMs: distributionSummarySchema
      .optional()
      .describe("The light viewers' one scheduler: task lateness (due → run) over the run, ms"),
  })
  .describe('What the viewers saw (whole run); null when the swarm never started');

export const thresholdResultSchema = z.strictObject({
  metric: z.string().describe('Metric name with its label filter, as written in the scenario'),
  expression: z.string().describe('The threshold expression, e.g. "p(95)<0.5"'),
  window: z.string().describe("'steady', 'whole' or a sliding window length"),
  observed: nullableNumber.describe('The aggregated value compared (the worst window for sliding ones)'),
  ok: z.boolean().describe('true: the threshold held'),
  strict: z.boolean().describe('false: reported without failing the run'),
  abortOnFail: z.boolean().optional(),
  message: z.string().optional().describe('Why it failed or could not be evaluated'),
  unreliable: z
    .boolean()
    .optional()
    .describe(
      'true: a latency threshold judged while the load generator was saturated; its value measured the generator',
    ),
  baseline: z
    .strictObject({
      value: nullableNumber.describe("The baseline run's figure"),
      change: nullableNumber.describe('(observed − baseline) / baseline; null from a zero baseline'),
      text: z.strictObject({ baseline: z.string(), current: z.string(), change: z.string() }),
    })
    .optional()
    .describe('Set on a baseline comparison (scenario `baseline:`): what this run was compared with'),
});

export const comparedMetricSchema = z.strictObject({
  name: z.string(),
  latency: z.boolean().describe('A timing the load generator measures (unreliable when it was saturated)'),
  baseline: nullableNumber,
  current: nullableNumber,
  change: nullableNumber,
  regression: z.boolean(),
  text: z.strictObject({ baseline: z.string(), current: z.string(), change: z.string() }),
});

export const generatorReportSchema = z
  .strictObject({
    cpuUtilization: nullableNumber.describe('avg generator_cpu_utilization over the steady window'),
    cpuPressure: nullableNumber.describe(
      'avg generator_cpu_pressure (PSI) over the steady window; null without PSI',
    ),
    viewerCpuWait: nullableNumber.describe('avg generator_viewer_cpu_wait over the steady window'),
    eventLoopDelayP99Seconds: nullableNumber.describe(
      'avg over the steady window of the per-interval p99 event-loop delay (the loop that timestamps viewer logs)',
    ),
    lightSchedulerLatenessP99Seconds: z
      .number()
      .optional()
      .describe(
        "avg over the steady window of the per-interval p99 lateness of the light viewers' scheduler; only with light viewers",
      ),
    saturated: z.boolean().describe('A limit was exceeded'),
    breaches: z.array(z.string()).describe('One phrase per exceeded limit'),
    limits: z.strictObject({
      maxViewerCpuWait: z.number(),
      maxEventLoopDelay: z.string(),
      maxCpu: z.number(),
      maxCpuPressure: z.number(),
      onSaturation: z.enum(['inconclusive', 'warn']),
    }),
    window: z
      .strictObject({ startMs: z.number(), endMs: z.number() })
      .nullable()
      .describe('The steady window judged; null when it was empty'),
  })
  .describe("The load generator's own health over the steady window (the saturation guard)");

export const timeseriesSchema = z
  .strictObject({
    stepSeconds: z.number().positive(),
    startMs: z.number().describe('Epoch ms of t = 0'),
    t: z.array(z.number()).describe('Seconds since startMs, one per row'),
    series: z
      .record(z.string(), z.array(nullableNumber))
      .describe('Column per metric, same length as t; null where there was no sample'),
  })
  .describe('Per-second key metrics of the swarm and the origin');

export const scrapeHealthSchema = z.strictObject({
  url: z.string(),
  attempts: z.number().int().min(0),
  failures: z.number().int().min(0),
  lastError: z.string().optional(),
});

export const environmentSchema = z.strictObject({
  node: z.string(),
  platform: z.string(),
  osRelease: z.string(),
  arch: z.string(),
  cpus: z.number().int().min(0),
  cpuModel: z.string(),
  totalMemoryBytes: z.number().min(0),
  ci: z.boolean(),
});

export const capacitySchema = z
  .strictObject({
    estimate: z.number().int().min(0).describe('Viewers this host drives with headroom, per its calibration'),
    source: z.string().describe('The calibration file the estimate comes from'),
    calibratedAt: z.string(),
    plannedClients: z.number().int().min(0),
    limitedBy: z.enum(['cpu', 'memory']),
  })
  .describe('The capacity check before the run (hls-swarm calibrate); null without a cached calibration');

export const baselineReportSchema = z
  .strictObject({
    report: z.string().describe('The baseline report file read'),
    scenario: z.string(),
    verdict: z.string().describe("The baseline run's verdict"),
    startedAt: z.string().describe('When the baseline run began'),
    maxRegression: z.number().describe('Allowed change for the worse, as a ratio (0.1 = 10 %)'),
    strict: z.boolean(),
    comparisons: z.array(comparedMetricSchema).describe('Every compared figure, n/a ones included'),
    timeseries: timeseriesSchema
      .nullable()
      .describe("The baseline's key series on its own axis (seconds since its swarm started), for overlays"),
  })
  .describe('The scenario baseline this run was compared with');

const encodedDistributionSchema = z.strictObject({
  unitsPerValue: z.number().positive(),
  histogram: z.string().describe("HdrHistogram's compressed base64 encoding"),
  count: z.number().int().min(0),
  min: z.number(),
  max: z.number(),
  sum: z.number(),
});

const labelsSchema = z.record(z.string(), z.string());

export const mergeableStoreSchema = z
  .strictObject({
    version: z.literal(1),
    metrics: z.array(
      z.strictObject({
        name: z.string(),
        type: z.enum(['trend', 'rate', 'counter', 'gauge']),
        zeroBasedSinceMs: z.number().optional(),
        series: z.array(
          z.discriminatedUnion('encoding', [
            z.strictObject({
              labels: labelsSchema,
              encoding: z.literal('hdr-per-second'),
              seconds: z.array(z.number().int()).describe('Epoch seconds'),
              histograms: z.array(encodedDistributionSchema),
            }),
            z.strictObject({
              labels: labelsSchema,
              encoding: z.literal('per-second-sums'),
              seconds: z.array(z.number().int()),
              sums: z.array(z.number()),
              totals: z.array(z.number().int()).optional(),
            }),
            z.strictObject({
              labels: labelsSchema,
              encoding: z.literal('raw'),
              times: z.array(z.number()).describe('Epoch ms'),
              values: z.array(z.number()),
            }),
          ]),
        ),
      }),
    ),
  })
  .describe(
    'Every series of the run in a form shards merge from exactly: trends as one HDR histogram per second, rates and event counters as per-second sums, gauges and scraped counters raw',
  );

export const shardReportSchema = z
  .strictObject({
    index: z.number().int().min(0),
    count: z.number().int().min(1),
    viewers: z.string().describe('Which viewer ids this shard ran, e.g. "id % 3 == 1"'),
    plannedClients: z.number().int().min(0).describe("The most viewers this shard's slice runs at once"),
    host: z.string(),
    startAtMs: nullableNumber.describe('The common start time the shards were given; null without one'),
    startLateMs: nullableNumber.describe('This shard began this long after startAtMs'),
    scrapesOrigin: z.boolean().describe("Whether this shard scraped the origin's exporters (shard 0 only)"),
    window: z
      .strictObject({ startMs: z.number(), steadyStartMs: nullableNumber, endMs: z.number() })
      .describe("The windows this shard's thresholds were evaluated over (epoch ms)"),
    data: mergeableStoreSchema,
  })
  .describe(
    'This run is one shard of a scenario: `hls-swarm merge` turns the shard reports into one verdict',
  );

export const shardsSectionSchema = z
  .strictObject({
    count: z.number().int().min(1),
    merged: z.array(
      z.strictObject({
        index: z.number().int().min(0),
        report: z.string(),
        host: z.string(),
        verdict: verdictSchema,
        plannedClients: z.number().int().min(0),
        swarmStartMs: nullableNumber,
      }),
    ),
    missing: z.array(z.number().int().min(0)).describe('Shard indexes with no report'),
    allowMissing: z.boolean(),
    startSpreadMs: nullableNumber.describe("Latest minus earliest shard's swarm start"),
  })
  .describe('A report merged from shard reports (`hls-swarm merge`)');

export const reportErrorSchema = z.strictObject({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
});

export const reportSchema = z
  .strictObject({
    $schema: z.string().optional(),
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.strictObject({ name: z.string(), version: z.string() }),
    scenario: z.strictObject({
      name: z.string(),
      description: z.string().optional(),
      file: z.string().optional().describe('Scenario file, relative to the project root'),
      test: z.string().optional().describe('Full test name'),
      config: z
        .record(z.string(), z.unknown())
        .describe('The validated scenario with defaults applied; secret header values redacted'),
    }),
    verdict: verdictSchema,
    reason: z.string().optional().describe('Why the run was aborted, interrupted or errored'),
    timeline: timelineSchema,
    origin: originReportSchema.nullable(),
    swarm: swarmReportSchema.nullable(),
    thresholds: z.array(thresholdResultSchema),
    timeseries: timeseriesSchema.nullable(),
    scrapes: z.record(z.string(), scrapeHealthSchema).describe('Per Prometheus target: scrape health'),
    environment: environmentSchema,
    capacity: capacitySchema.nullable().optional(),
    error: reportErrorSchema.optional(),
    generator: generatorReportSchema.optional().describe('Absent when sampling never began'),
    baseline: baselineReportSchema.optional().describe('Absent when the scenario has no baseline'),
    shard: shardReportSchema.optional().describe('Present when the run was one shard of a scenario'),
    shards: shardsSectionSchema.optional().describe('Present when the report was merged from shard reports'),
  })
  .describe('hls-swarm scenario report');

export type Verdict = (typeof VERDICTS)[number];
export type Report = z.output<typeof reportSchema>;
export type ReportTimeline = z.output<typeof timelineSchema>;
export type OriginReport = z.output<typeof originReportSchema>;
export type SwarmReport = z.output<typeof swarmReportSchema>;
export type ThresholdResultEntry = z.output<typeof thresholdResultSchema>;
export type ReportTimeseries = z.output<typeof timeseriesSchema>;
export type ReportScrapeHealth = z.output<typeof scrapeHealthSchema>;
export type ReportEnvironment = z.output<typeof environmentSchema>;
export type ReportError = z.output<typeof reportErrorSchema>;
export type GeneratorReport = z.output<typeof generatorReportSchema>;
export type ReportCapacity = z.output<typeof capacitySchema>;
export type ReportBaseline = z.output<typeof baselineReportSchema>;
export type ReportShard = z.output<typeof shardReportSchema>;
export type ReportShards = z.output<typeof shardsSectionSchema>;

/** One line per scenario in `reports/summary.json` (written by the Vitest reporter). */
export const runSummaryEntrySchema = z.strictObject({
  file: z.string(),
  test: z.string(),
  scenario: z.string().optional(),
  verdict: verdictSchema.nullable().describe('null when the test ended without a report'),
  testState: z.enum(['passed', 'failed', 'skipped', 'pending']),
  reportPath: z.string().nullable(),
  durationSeconds: z.number().min(0),
  thresholds: z
    .strictObject({ total: z.number().int(), failed: z.number().int(), failedStrict: z.number().int() })
    .nullable(),
  errors: z.array(z.string()),
});

export const runSummarySchema = z
  .strictObject({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.strictObject({ name: z.string(), version: z.string() }),
    startedAt: z.string(),
    endedAt: z.string(),
    reason: z.enum(['passed', 'failed', 'interrupted']),
    scenarios: z.array(runSummaryEntrySchema),
    environment: environmentSchema,
  })
  .describe('hls-swarm run summary: one entry per scenario test');

export type RunSummary = z.output<typeof runSummarySchema>;
export type RunSummaryEntry = z.output<typeof runSummaryEntrySchema>;

export const REPORT_SCHEMA_ID = 'https://hls-swarm.dev/report.schema.json';

/** The JSON Schema of a report (published as `hls-swarm/report.schema.json`). */
export function reportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(reportSchema, { io: 'output', unrepresentable: 'any' }),
    $id: REPORT_SCHEMA_ID,
    title: 'hls-swarm scenario report',
  };
}

/** The JSON Schema of `reports/summary.json`. */
export function runSummaryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(runSummarySchema, { io: 'output', unrepresentable: 'any' }),
    $id: 'https://hls-swarm.dev/run-summary.schema.json',
    title: 'hls-swarm run summary',
  };
}
