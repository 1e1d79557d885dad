/**
 * hls-swarm: the library. Test files import `hls-swarm/vitest`; a vitest.config.ts imports
 * `hls-swarm/vitest/config`. This is an explicit list of what library users need, layer by
 * layer (no `export *`: a layer's internals are not a public promise). src/index.test.ts checks it.
 */

export type {
  OriginKind,
  OriginSpec,
  OriginSpecInput,
  Scenario,
  ScenarioInput,
  SwarmSpec,
  SwarmSpecInput,
  Variant,
} from './config/index.js';
// config: the scenario as users write it, validation, durations.
export {
  ConfigError,
  defineScenario,
  ORIGIN_KINDS,
  PROFILE_NAMES,
  parseDurationMs,
  parseScenario,
  scenarioJsonSchema,
  scenarioSchema,
  scenarioSpecSchema,
  VARIANTS,
} from './config/index.js';
export type { CatalogueEntry, MetricsSamplerOptions, ScrapeTarget } from './metrics/index.js';
// metrics: sampling Prometheus endpoints, the metric catalogue, the nginx access log.
export { catalogueEntry, METRIC_CATALOGUE, MetricsSampler, parseAccessLog } from './metrics/index.js';
export type { OriginExporters, OriginStatus, RunningOrigin, StartOriginOptions } from './origin/index.js';
// origin: start one of the five origin kinds on its own.
export { OriginStartError, startOrigin } from './origin/index.js';
export { renderHtmlReport, writeHtmlReport } from './report/html/index.js';
export type { Report, Verdict } from './report/index.js';
// report: the JSON report, its schema, the console summary, the HTML page and the baseline comparison.
export {
  compareReports,
  formatSummary,
  REPORT_SCHEMA_VERSION,
  readReportFile,
  reportJsonSchema,
  reportSchema,
  writeReport,
} from './report/index.js';
export type {
  RunResult,
  RunScenarioOptions,
  ScenarioAction,
  ScenarioActionContext,
} from './runner/index.js';
// runner: one scenario end to end.
export { runScenario, validateScenario } from './runner/index.js';
export type { SloInput, ThresholdResult } from './slo/index.js';
// slo: thresholds parsed once, evaluated over a run.
export {
  compileSlo,
  evaluateThresholds,
  SloConfigError,
  ThresholdSyntaxError,
  ThresholdTypeError,
} from './slo/index.js';
export type {
  DistributionSummary,
  RequestCounts,
  RequestKind,
  SwarmHandle,
  SwarmOptions,
  SwarmSnapshot,
} from './swarm/index.js';
// swarm: ffmpeg viewers on their own, and the rules they count by.
export {
  buildClientCommand,
  classifyRequestUrl,
  detectFfmpeg,
  REQUEST_KINDS,
  SwarmStartError,
  startSwarm,
  VariantProbeError,
} from './swarm/index.js';
// system: user-facing errors, redaction, percentile definitions.
export {
  HlsSwarmError,
  interpolatedPercentile,
  isUserFacingError,
  MissingBinaryError,
  nearestRankPercentile,
  PortInUseError,
  REDACTED,
  redactHeaders,
  redactText,
  redactUrl,
} from './system/index.js';

export { TOOL_VERSION } from './version.js';
