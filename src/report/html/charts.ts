import { swarmSchema } from '../../config/index.js';
import { buildRampPlan, rampInputFromSpec, shardPlan } from '../../swarm/index.js';
import type { Report, ReportTimeseries } from '../schema.js';

/** What the charts read of a report. */
export type ChartsInput = Pick<Report, 'scenario' | 'timeline' | 'timeseries' | 'baseline' | 'shard'>;

/*
 * Chart specs from a report's timeseries: which columns go together, in which unit, with the
 * steady window and the scenario's actions as x positions (seconds since the series' t = 0).
 * Pure data: the page's script only draws what this returns, so tests read the same thing.
 */

/** How the page formats a series' values on its axis. */
export type ChartUnit = 'count' | 'perSecond' | 'seconds' | 'bytesPerSecond' | 'ratio' | 'speed';

export interface ChartSeries {
  label: string;
  /** The timeseries column (or 'plan' for the computed viewer target). */
  column: string;
  values: (number | null)[];
  color: string;
  /** Right-hand axis (a second unit on the same chart). */
  right?: boolean;
  dashed?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: ChartUnit;
  rightUnit?: ChartUnit;
  series: ChartSeries[];
}

export interface ChartMarker {
  atSeconds: number;
  label: string;
  ok: boolean;
}

export interface ChartsData {
  t: number[];
  charts: ChartSpec[];
  steady: { startSeconds: number; endSeconds: number } | null;
  markers: ChartMarker[];
}

interface Group {
  id: string;
  title: string;
  unit: ChartUnit;
  rightUnit?: ChartUnit;
  columns: { column: string; label: string; color: string; right?: boolean }[];
}

// Columns the report can hold (docs/report.md#timeseries); a column missing from a report is skipped.
const GROUPS: Group[] = [
  {
    id: 'viewers',
    title: 'Viewers: planned target vs active',
    unit: 'count',
    columns: [
      { column: 'clients_active', label: 'active', color: '#2563eb' },
      { column: 'stalled_clients', label: 'stalled', color: '#dc2626' },
    ],
  },
  {
    id: 'requests',
    title: 'Requests per second',
    unit: 'perSecond',
    columns: [
      { column: 'requests', label: 'viewer requests/s', color: '#2563eb' },
      { column: 'nginx_requests_per_second', label: 'nginx requests/s', color: '#9333ea' },
    ],
  },
  {
    id: 'errors',
    title: 'Failed requests per second',
    unit: 'perSecond',
    columns: [{ column: 'request_errors', label: 'failed requests/s', color: '#dc2626' }],
  },
  {
    id: 'latency',
    title: 'Segment and manifest latency',
    unit: 'seconds',
    columns: [
      { column: 'segment_ttfb_p50', label: 'segment TTFB p50', color: '#16a34a' },
      { column: 'segment_ttfb_p95', label: 'segment TTFB p95', color: '#ca8a04' },
      { column: 'segment_ttfb_p99', label: 'segment TTFB p99', color: '#ea580c' },
      { column: 'segment_duration_p50', label: 'segment download p50', color: '#0891b2' },
      { column: 'segment_duration_p95', label: 'segment download p95', color: '#2563eb' },
      { column: 'segment_duration_p99', label: 'segment download p99', color: '#7c3aed' },
      { column: 'manifest_duration_p95', label: 'manifest download p95', color: '#db2777' },
    ],
  },
  {
    id: 'throughput',
    title: 'Throughput',
    unit: 'bytesPerSecond',
    columns: [
      { column: 'throughput_bytes_per_second', label: 'viewers received', color: '#2563eb' },
      { column: 'node_network_transmit_bytes_per_second', label: 'origin host sent', color: '#9333ea' },
    ],
  },
  {
    id: 'playback',
    title: 'Playback speed (p50) and stalled viewers',
    unit: 'speed',
    rightUnit: 'count',
    columns: [
      { column: 'playback_speed_p50', label: 'playback speed p50', color: '#16a34a' },
      { column: 'stalled_clients', label: 'stalled viewers', color: '#dc2626', right: true },
    ],
  },
  {
    id: 'qoe',
    title: 'Rebuffering viewers and live latency (p50)',
    unit: 'count',
    rightUnit: 'seconds',
    columns: [
      { column: 'rebuffering_viewers', label: 'viewers rebuffering', color: '#dc2626' },
      { column: 'live_latency_p50', label: 'live latency p50', color: '#0891b2', right: true },
    ],
  },
  {
    id: 'host',
    title: 'Origin host CPU and memory',
    unit: 'ratio',
    columns: [
      { column: 'node_cpu_utilization', label: 'CPU', color: '#ea580c' },
      { column: 'node_memory_utilization', label: 'memory', color: '#2563eb' },
    ],
  },
  {
    id: 'nginx',
    title: 'nginx connections and request time',
    unit: 'count',
    rightUnit: 'seconds',
    columns: [
      { column: 'nginx_connections_active', label: 'active connections', color: '#9333ea' },
      { column: 'nginx_request_time_p95', label: 'request time p95', color: '#ca8a04', right: true },
    ],
  },
];

const OTHER_COLORS = ['#0f766e', '#b45309', '#be185d', '#4338ca', '#15803d', '#b91c1c'];

function hasData(values: (number | null)[] | undefined): values is (number | null)[] {
  return values?.some((value) => value !== null) ?? false;
}

/** The viewers the plan wants at each row, from the scenario's swarm config; null if it cannot be read. */
export function plannedViewers(report: ChartsInput, timeseries: ReportTimeseries): number[] | null {
  const spec = swarmSchema.safeParse(report.scenario.config.swarm);
  const swarmStartMs = report.timeline.swarmStartMs;
  if (!spec.success || swarmStartMs === null) return null;
  let plan: ReturnType<typeof buildRampPlan>;
  try {
    // A shard's page plans its own slice of the viewers; a merged page, the whole plan.
    const shard = report.shard ? { index: report.shard.index, count: report.shard.count } : undefined;
    plan = shardPlan(buildRampPlan(rampInputFromSpec(spec.data)), shard);
  } catch {
    return null;
  }
  // One pass over the sorted events: the rows are in time order too.
  const running = new Set<number>();
  let next = 0;
  return timeseries.t.map((seconds) => {
    const offsetMs = timeseries.startMs + seconds * 1000 - swarmStartMs;
    while (next < plan.events.length && (plan.events[next]?.atMs ?? Infinity) <= offsetMs) {
      const event = plan.events[next];
      if (event?.action === 'start') running.add(event.clientId);
      else if (event) running.delete(event.clientId);
      next += 1;
    }
    return running.size;
  });
}

/**
 * The baseline run's column on this run's axis, or null when the report has no baseline series
 * for it. Both axes count seconds from their own swarm's start (the first sampled row), so
 * row i of each is the same moment of the plan.
 */
function baselineOverlay(
  report: ChartsInput,
  timeseries: ReportTimeseries,
  column: string,
): (number | null)[] | null {
  const base = report.baseline?.timeseries;
  const values = base?.series[column];
  if (!base || !hasData(values)) return null;
  const byStep = new Map<number, number | null>();
  base.t.forEach((seconds, index) => {
    byStep.set(Math.round(seconds / base.stepSeconds), values[index] ?? null);
  });
  const aligned = timeseries.t.map((seconds) => byStep.get(Math.round(seconds / base.stepSeconds)) ?? null);
  return hasData(aligned) ? aligned : null;
}

function steadyWindow(report: ChartsInput, timeseries: ReportTimeseries): ChartsData['steady'] {
  const { steadyStartMs, swarmStartMs, plannedSwarmSeconds, endMs } = report.timeline;
  if (steadyStartMs === null || swarmStartMs === null) return null;
  // The steady window ends where the swarm begins to stop its viewers: the planned end or the run's end.
  const steadyEndMs = Math.min(swarmStartMs + plannedSwarmSeconds * 1000, endMs);
  if (steadyEndMs <= steadyStartMs) return null;
  return {
    startSeconds: (steadyStartMs - timeseries.startMs) / 1000,
    endSeconds: (steadyEndMs - timeseries.startMs) / 1000,
  };
}

/** Everything the page's charts draw. Null when the report has no timeseries. */
export function buildCharts(report: ChartsInput): ChartsData | null {
  const timeseries = report.timeseries;
  if (!timeseries || timeseries.t.length === 0) return null;
  const used = new Set<string>();
  const charts: ChartSpec[] = [];
  for (const group of GROUPS) {
    const series: ChartSeries[] = [];
    if (group.id === 'viewers') {
      const planned = plannedViewers(report, timeseries);
      if (planned)
        series.push({
          label: 'planned target',
          column: 'plan',
          values: planned,
          color: '#64748b',
          dashed: true,
        });
    }
    for (const { column, label, color, right } of group.columns) {
      const values = timeseries.series[column];
      if (!hasData(values)) continue;
      used.add(column);
      series.push({ label, column, values, color, ...(right ? { right } : {}) });
      const baseline = baselineOverlay(report, timeseries, column);
      if (baseline) {
        series.push({
          label: `baseline ${label}`,
          column: `baseline:${column}`,
          values: baseline,
          color,
          dashed: true,
          ...(right ? { right } : {}),
        });
      }
    }
    if (!series.some((entry) => entry.column !== 'plan')) continue;
    const rightUsed = series.some((entry) => entry.right);
    charts.push({
      id: group.id,
      title: group.title,
      unit: group.unit,
      ...(rightUsed && group.rightUnit ? { rightUnit: group.rightUnit } : {}),
      series,
    });
  }
  // Columns this page does not know yet (a newer hls-swarm or custom targets) are still drawn.
  const others = Object.entries(timeseries.series).filter(
    ([column, values]) => !used.has(column) && hasData(values),
  );
  for (const [index, [column, values]] of others.entries()) {
    charts.push({
      id: `other-${index}`,
      title: column,
      unit: 'count',
      series: [
        { label: column, column, values, color: OTHER_COLORS[index % OTHER_COLORS.length] ?? '#0f766e' },
      ],
    });
  }
  return {
    t: timeseries.t,
    charts,
    steady: steadyWindow(report, timeseries),
    markers: report.timeline.actions.map((action) => ({
      atSeconds: (action.atMs - timeseries.startMs) / 1000,
      label: action.name,
      ok: action.ok,
    })),
  };
}
