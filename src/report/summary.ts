import { formatBitrate, formatBytes, formatNumber, formatPercent, formatSeconds } from './format.js';
import type { Report, SwarmReport, ThresholdResultEntry } from './schema.js';

/*
 * The end-of-scenario console summary: a pure function of the report (k6 style), so what
 * the console says and what the JSON says cannot disagree.
 */

export interface SummaryOptions {
  /** ANSI colours for ✓/✗ and the verdict; default false (plain text for CI logs). */
  color?: boolean;
  /** Shown as the report's location. */
  reportPath?: string;
}

const ANSI = { green: 32, red: 31, yellow: 33 } as const;
/** ANSI colour, written out: util.styleText drops colours when stdout is not a terminal. */
function paintText(colour: keyof typeof ANSI, text: string): string {
  return `\u001b[${ANSI[colour]}m${text}\u001b[39m`;
}

const TREND_METRICS = /duration|ttfb|time|latency|startup/;

/** Formats an observed value in the threshold's unit: seconds for time metrics, else a number. */
export function formatObserved(result: ThresholdResultEntry): string {
  if (result.observed === null) return 'no data';
  if (result.baseline) {
    const { text } = result.baseline;
    return `${text.current} vs baseline ${text.baseline} (${text.change})`;
  }
  const aggregation = /^\s*([a-z]+)/.exec(result.expression)?.[1] ?? '';
  if (aggregation === 'rate') return `${formatNumber(result.observed)} (${formatPercent(result.observed)})`;
  if (aggregation === 'count') return formatNumber(result.observed);
  if (TREND_METRICS.test(result.metric) && !/speed/.test(result.metric))
    return formatSeconds(result.observed);
  if (/utilization/.test(result.metric)) return formatPercent(result.observed);
  return formatNumber(result.observed);
}

/** `✓ segment_duration p(95)<2s [steady] observed 120ms` */
export function formatThresholdLine(result: ThresholdResultEntry, color = false): string {
  const mark = result.ok ? '✓' : '✗';
  const paint = (text: string) =>
    color ? paintText(result.ok ? 'green' : result.strict ? 'red' : 'yellow', text) : text;
  const notes: string[] = [];
  if (result.unreliable) notes.push('unreliable: the load generator was saturated');
  if (!result.strict) notes.push('not strict');
  if (result.abortOnFail) notes.push('abortOnFail');
  const tail = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  const message = !result.ok && result.message ? ` — ${result.message}` : '';
  return `${paint(mark)} ${result.metric} ${result.expression} [${result.window}] observed ${formatObserved(result)}${tail}${message}`;
}

function verdictWord(report: Report, color: boolean): string {
  const word = report.verdict.toUpperCase();
  if (!color) return word;
  return paintText(report.verdict === 'pass' ? 'green' : report.verdict === 'fail' ? 'red' : 'yellow', word);
}

function columnStats(report: Report, name: string): { mean: number; max: number } | undefined {
  const values = (report.timeseries?.series[name] ?? []).filter((value): value is number => value !== null);
  if (values.length === 0) return undefined;
  return { mean: values.reduce((sum, value) => sum + value, 0) / values.length, max: Math.max(...values) };
}

/** Origin-side numbers from the per-second series (exporters), when there are any. */
function originHostLine(report: Report): string | undefined {
  const parts: string[] = [];
  const cpu = columnStats(report, 'node_cpu_utilization');
  if (cpu) parts.push(`cpu avg ${formatPercent(cpu.mean)} max ${formatPercent(cpu.max)}`);
  const memory = columnStats(report, 'node_memory_utilization');
  if (memory) parts.push(`memory max ${formatPercent(memory.max)}`);
  const requests = columnStats(report, 'nginx_requests_per_second');
  if (requests) parts.push(`nginx ${formatNumber(Math.round(requests.mean))} req/s avg`);
  const requestTime = columnStats(report, 'nginx_request_time_p95');
  if (requestTime) parts.push(`request time p95 ≤ ${formatSeconds(requestTime.max)}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** The generator's own health over the steady window, e.g. `cpu 97% · viewer wait 23% · SATURATED`. */
function generatorHealthLine(report: Report): string | undefined {
  const generator = report.generator;
  if (!generator) return undefined;
  const parts: string[] = [];
  if (generator.viewerCpuWait !== null) parts.push(`viewer wait ${formatPercent(generator.viewerCpuWait)}`);
  if (generator.eventLoopDelayP99Seconds !== null)
    parts.push(`event loop p99 ${formatSeconds(generator.eventLoopDelayP99Seconds)}`);
  if (generator.lightSchedulerLatenessP99Seconds !== undefined)
    parts.push(`light scheduler p99 ${formatSeconds(generator.lightSchedulerLatenessP99Seconds)}`);
  if (generator.cpuUtilization !== null) parts.push(`cpu ${formatPercent(generator.cpuUtilization)}`);
  if (generator.cpuPressure !== null) parts.push(`pressure ${formatPercent(generator.cpuPressure)}`);
  if (parts.length === 0) return undefined;
  const { limits } = generator;
  parts.push(
    generator.saturated
      ? `SATURATED (limits viewer wait ${formatPercent(limits.maxViewerCpuWait)}, event loop ${limits.maxEventLoopDelay}, cpu ${formatPercent(limits.maxCpu)}, pressure ${formatPercent(limits.maxCpuPressure)})`
      : 'healthy',
  );
  return `${parts.join(' · ')} (steady-window averages)`;
}

/** One line of player QoE: start failures, rebuffering, live latency, and variants when known. */
export function qoeSummaryText(
  qoe: NonNullable<SwarmReport['qoe']>,
  liveLatency: SwarmReport['distributions']['liveLatencySeconds'],
  variantBitrate?: SwarmReport['distributions']['variantBitrate'],
): string {
  const reasons = Object.entries(qoe.videoStartFailureReasons)
    .map(([reason, n]) => `${reason}×${n}`)
    .join(' ');
  const parts = [
    `video start failures ${qoe.videoStartFailures}${reasons ? ` (${reasons})` : ''}`,
    `exits before start ${qoe.exitsBeforeVideoStart}`,
    `rebuffering ${formatPercent(qoe.rebufferRatio)} (${formatSeconds(qoe.rebufferSeconds)} in ${qoe.rebufferEvents} stall${qoe.rebufferEvents === 1 ? '' : 's'}, ${formatNumber(qoe.rebufferFrequencyPerMinute)}/min)`,
  ];
  if (liveLatency && liveLatency.count > 0)
    parts.push(
      `live latency p50 ${formatSeconds(liveLatency.p50)} p95 ${formatSeconds(liveLatency.p95)} (${qoe.liveLatencyMethod})`,
    );
  // Bits per media second pulled; formatBitrate takes bytes per second.
  if (variantBitrate && variantBitrate.count > 0)
    parts.push(
      `variant p50 ${formatBitrate(variantBitrate.p50 / 8)} · ${qoe.variantSwitches} switch${qoe.variantSwitches === 1 ? '' : 'es'}`,
    );
  return parts.join(' · ');
}

/** The whole summary as lines (no trailing newline). */
export function formatSummaryLines(report: Report, options: SummaryOptions = {}): string[] {
  const color = options.color ?? false;
  const lines: string[] = [];
  const duration = formatSeconds(report.timeline.durationSeconds);
  lines.push(`hls-swarm ${report.scenario.name}: ${verdictWord(report, color)} in ${duration}`);
  if (report.reason) lines.push(`  reason: ${report.reason}`);
  if (report.generator?.saturated && report.verdict !== 'inconclusive')
    lines.push(
      `  warning: the load generator was saturated (${report.generator.breaches.join(', ')}); latency thresholds are unreliable`,
    );
  if (report.error && report.error.message !== report.reason) {
    lines.push(`  error: ${report.error.name}: ${report.error.message.split('\n')[0]}`);
  }

  for (const action of report.timeline.actions) {
    const atSeconds = (action.atMs - (report.timeline.swarmStartMs ?? report.timeline.startMs)) / 1000;
    lines.push(
      `  action: ${action.name} at ${formatSeconds(atSeconds)}${action.ok ? '' : ` failed: ${action.error ?? 'unknown error'}`}`,
    );
  }
  if (report.thresholds.length > 0) {
    lines.push('  thresholds:');
    for (const result of report.thresholds) lines.push(`    ${formatThresholdLine(result, color)}`);
  } else {
    lines.push('  thresholds: none');
  }

  const swarm = report.swarm;
  if (swarm) {
    const segments = swarm.requests.segment;
    const manifests = swarm.requests.manifest;
    const totalRequests = Object.values(swarm.requests).reduce((sum, counts) => sum + counts.total, 0);
    const failedRequests = Object.values(swarm.requests).reduce((sum, counts) => sum + counts.failed, 0);
    lines.push(
      `  clients      target ${swarm.clientsTarget} · started ${swarm.clientsStarted} · restarts ${swarm.restarts} · stalled ${swarm.stalledClients} · reconnects ${swarm.reconnects}`,
    );
    const gate = swarm.startGate;
    if (gate) {
      const late = gate.releaseLatenessSeconds;
      lines.push(
        `  start gate   ${gate.heldAtStart} of ${gate.gatedViewers} waiting at t=0 (prepared in ${formatSeconds(gate.prepareSeconds)}, ${formatNumber(gate.arrivalRatePerSecond)}/s) · release lateness p95 ${formatSeconds(late.p95)} max ${formatSeconds(late.max)} · ${gate.lateReleases} late`,
      );
    }
    lines.push(
      `  requests     ${totalRequests} (${failedRequests} failed, ${formatPercent(totalRequests > 0 ? failedRequests / totalRequests : null)}) · segments ${segments.total} · manifests ${manifests.total} · ${formatBytes(swarm.bytesTotal)} · ${formatBitrate(swarm.throughputBytesPerSecond)}`,
    );
    const statusErrors = Object.entries(swarm.errorsByStatus)
      .filter(([, count]) => count > 0)
      .map(([status, count]) => `${status}×${count}`);
    if (statusErrors.length > 0 || swarm.timeouts > 0) {
      lines.push(
        `  errors       ${[...statusErrors, ...(swarm.timeouts > 0 ? [`timeouts×${swarm.timeouts}`] : [])].join(' · ')}`,
      );
    }
    const d = swarm.distributions;
    lines.push(
      `  segment      duration p50 ${formatSeconds(d.segmentDurationSeconds.p50)} p95 ${formatSeconds(d.segmentDurationSeconds.p95)} p99 ${formatSeconds(d.segmentDurationSeconds.p99)} max ${formatSeconds(d.segmentDurationSeconds.max)} · ttfb p95 ${formatSeconds(d.segmentTtfbSeconds.p95)}`,
    );
    lines.push(
      `  manifest     duration p50 ${formatSeconds(d.manifestDurationSeconds.p50)} p95 ${formatSeconds(d.manifestDurationSeconds.p95)} · startup p50 ${formatSeconds(d.startupSeconds.p50)} p95 ${formatSeconds(d.startupSeconds.p95)}`,
    );
    if (d.playbackSpeed.count > 0) {
      lines.push(
        `  playback     speed mean ${formatNumber(d.playbackSpeed.mean)} min ${formatNumber(d.playbackSpeed.min)}`,
      );
    }
    const qoe = swarm.qoe;
    if (qoe) lines.push(`  qoe          ${qoeSummaryText(qoe, d.liveLatencySeconds, d.variantBitrate)}`);
    for (const [kind, part] of Object.entries(swarm.viewerKinds ?? {})) {
      if (!part) continue;
      lines.push(
        `  ${kind.padEnd(12)} ${part.viewers} viewers · requests ${part.requests.total} (${part.requests.failed} failed) · segment p50 ${formatSeconds(part.segmentDurationSeconds.p50)} p95 ${formatSeconds(part.segmentDurationSeconds.p95)} · startup p50 ${formatSeconds(part.startupSeconds.p50)} · rebuffering ${formatPercent(part.qoe.rebufferRatio)}`,
      );
    }
  } else {
    lines.push('  swarm        did not start');
  }

  const origin = report.origin;
  if (origin) {
    const versions = Object.entries(origin.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(' · ');
    lines.push(
      `  origin       ${origin.kind}${versions ? ` · ${versions}` : ''} · ${origin.healthy ? 'healthy' : `UNHEALTHY: ${origin.problems.join('; ')}`}`,
    );
  }
  const generatorLine = generatorHealthLine(report);
  if (generatorLine) lines.push(`  generator    ${generatorLine}`);
  const hostLine = originHostLine(report);
  if (hostLine) lines.push(`  origin host  ${hostLine}`);
  if (report.baseline) {
    const { baseline } = report;
    const worse = baseline.comparisons.filter((row) => row.regression).length;
    const unmeasured = baseline.comparisons.filter((row) => row.baseline === null || row.current === null);
    lines.push(
      `  baseline     ${baseline.report} (${baseline.verdict}, ${baseline.startedAt}) · ${worse} of ${baseline.comparisons.length - unmeasured.length} figures worse by more than ${formatPercent(baseline.maxRegression)}${unmeasured.length ? ` · n/a (not measured in both runs): ${unmeasured.map((row) => row.name).join(', ')}` : ''}`,
    );
  }
  if (report.shard) {
    const { shard } = report;
    lines.push(
      `  shard        ${shard.index}/${shard.count} on ${shard.host} · viewers ${shard.viewers} (${shard.plannedClients} at most)${shard.startLateMs !== null ? ` · began ${shard.startLateMs} ms after the common start` : ''} · not a gate: 'hls-swarm merge' judges the shards together`,
    );
  }
  if (report.shards) {
    const { shards } = report;
    lines.push(
      `  shards       ${shards.merged.length} of ${shards.count} merged${shards.startSpreadMs !== null ? ` · swarm starts ${shards.startSpreadMs} ms apart` : ''}${shards.missing.length > 0 ? ` · missing: ${shards.missing.join(', ')}` : ''} · ${shards.merged.map((entry) => `${entry.index} ${entry.host} ${entry.verdict}`).join(' · ')}`,
    );
  }
  const failingScrapes = Object.entries(report.scrapes).filter(([, health]) => health.failures > 0);
  if (failingScrapes.length > 0) {
    lines.push(
      `  scrapes      ${failingScrapes.map(([name, health]) => `${name} ${health.failures}/${health.attempts} failed`).join(' · ')}`,
    );
  }
  if (options.reportPath) lines.push(`  report       ${options.reportPath}`);
  return lines;
}

export function formatSummary(report: Report, options: SummaryOptions = {}): string {
  return formatSummaryLines(report, options).join('\n');
}
