import { stripVTControlCharacters } from 'node:util';
import { formatBitrate, formatClock, formatPercent, formatSeconds } from './format.js';
import type { ProgressUpdate } from './progress.js';

/*
 * The live dashboard: one compact frame of the running load, redrawn in place on a terminal
 * (terminal-dashboard.ts) instead of a progress line every interval. A pure function of one
 * ProgressUpdate and the terminal's width: every line fits one row (cut with '…'), and text
 * that came from outside (scenario name, origin problem, threshold expression) loses its
 * control characters, so a frame never carries an escape sequence of its own.
 */

export interface DashboardLayout {
  /** The terminal's width in columns: no line is longer. */
  columns: number;
}

const LABEL_WIDTH = 11;

/** Text from outside, safe to print: no escape sequences, no control characters. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** At most `columns` characters: cut with '…' when longer. */
export function fitToColumns(line: string, columns: number): string {
  const width = Math.max(1, Math.floor(columns));
  const characters = [...line];
  if (characters.length <= width) return line;
  return `${characters.slice(0, width - 1).join('')}…`;
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const perSecond = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)}/s`);

function row(label: string, ...parts: string[]): string {
  return `${label.padEnd(LABEL_WIDTH)}${parts.filter(Boolean).join('   ')}`;
}

function clockLine(update: ProgressUpdate): string {
  const elapsed = formatClock(update.elapsedSeconds);
  // An unbounded run (`hls-swarm run --duration 0`) has no remaining time.
  if (!Number.isFinite(update.totalSeconds)) return `${elapsed} elapsed, until Ctrl-C`;
  const remaining = Math.max(0, update.totalSeconds - update.elapsedSeconds);
  return `${elapsed} / ${formatClock(update.totalSeconds)}   ${formatClock(remaining)} left`;
}

function errorsLine(update: ProgressUpdate): string {
  if (update.errorsTotal === 0) return 'none';
  const byStatus = Object.entries(update.httpErrors ?? {})
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${printable(status)}×${count}`)
    .join(' ');
  const recent = update.errorsInInterval > 0 ? ` (+${update.errorsInInterval})` : '';
  return [`${update.errorsTotal} failed requests${recent}`, byStatus && `http ${byStatus}`]
    .filter(Boolean)
    .join('   ');
}

function qoeLine(qoe: NonNullable<ProgressUpdate['qoe']>): string {
  return row(
    'qoe',
    `rebuffering ${formatPercent(qoe.rebufferRatio)} (${qoe.rebufferEvents} stall${qoe.rebufferEvents === 1 ? '' : 's'})`,
    `start failures ${qoe.videoStartFailures}`,
    qoe.liveLatencyP50Seconds !== undefined
      ? `live latency p50 ${formatSeconds(qoe.liveLatencyP50Seconds)}`
      : '',
  );
}

function generatorLine(generator: NonNullable<ProgressUpdate['generator']>): string | undefined {
  const figures = [
    generator.cpuUtilization !== undefined ? `cpu ${percent(generator.cpuUtilization)}` : '',
    generator.viewerCpuWait !== undefined ? `viewer cpu wait ${percent(generator.viewerCpuWait)}` : '',
    generator.eventLoopDelaySeconds !== undefined
      ? `event loop delay ${formatSeconds(generator.eventLoopDelaySeconds)}`
      : '',
  ].filter(Boolean);
  return figures.length > 0 ? row('generator', ...figures) : undefined;
}

function thresholdsLine(thresholds: NonNullable<ProgressUpdate['thresholds']>): string {
  const judged = thresholds.total - thresholds.pending;
  const pending = thresholds.pending > 0 ? `${thresholds.pending} not judged yet` : '';
  if (thresholds.breached.length === 0)
    return row('thresholds', `${judged}/${thresholds.total} passing so far`, pending);
  return row(
    'thresholds',
    `${thresholds.breached.length}/${thresholds.total} BREACHED so far: ${thresholds.breached.map(printable).join('; ')}`,
    pending,
  );
}

/** The frame's lines for one progress update, each at most `layout.columns` long. */
export function renderDashboard(update: ProgressUpdate, layout: DashboardLayout): string[] {
  const lines = [
    `${printable(update.scenario)}   ${update.phase}   ${clockLine(update)}`,
    row(
      'viewers',
      `${update.clientsActive}/${update.clientsTarget} active`,
      `${update.stalledClients} stalled`,
      `${update.restarts} restarts`,
    ),
    row(
      'requests',
      `segments ${perSecond(update.segmentsPerSecond)}`,
      `playlists ${perSecond(update.playlistsPerSecond)}`,
      `throughput ${formatBitrate(update.throughputBytesPerSecond)}`,
    ),
    row(
      'latency',
      `segment p50 ${formatSeconds(update.segmentP50Seconds)}`,
      `p95 ${formatSeconds(update.segmentP95Seconds)}`,
    ),
    row('errors', errorsLine(update)),
  ];
  if (update.qoe) lines.push(qoeLine(update.qoe));
  if (update.originCpuUtilization !== undefined || update.originProblem)
    lines.push(
      row(
        'origin',
        update.originCpuUtilization !== undefined ? `cpu ${percent(update.originCpuUtilization)}` : '',
        update.originProblem ? `problem: ${printable(update.originProblem)}` : '',
      ),
    );
  const generator = update.generator && generatorLine(update.generator);
  if (generator) lines.push(generator);
  if (update.thresholds && update.thresholds.total > 0) lines.push(thresholdsLine(update.thresholds));
  return lines.map((line) => fitToColumns(line, layout.columns));
}
