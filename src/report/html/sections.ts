import { formatBitrate, formatBytes, formatNumber, formatPercent, formatSeconds } from '../format.js';
import type { HtmlReport } from '../read.js';
import type { ReportScrapeHealth, SwarmReport } from '../schema.js';
import { escapeHtml, keyValueTable } from './escape.js';

/*
 * The page's sections below the charts: distributions, start gate, requests, origin,
 * scrapes, environment and the scenario config. Each returns HTML ('' when it has nothing).
 */

type Distribution = SwarmReport['distributions']['startupSeconds'];
type ViewerKindReport = NonNullable<NonNullable<SwarmReport['viewerKinds']>['light']>;

const DISTRIBUTIONS: {
  key: keyof SwarmReport['distributions'];
  label: string;
  speed?: boolean;
  bitrate?: boolean;
}[] = [
  { key: 'startupSeconds', label: 'Startup time (first segment)' },
  { key: 'segmentDurationSeconds', label: 'Segment download' },
  { key: 'segmentTtfbSeconds', label: 'Segment TTFB' },
  { key: 'manifestDurationSeconds', label: 'Manifest download' },
  { key: 'manifestTtfbSeconds', label: 'Manifest TTFB' },
  { key: 'playbackSpeed', label: 'Playback speed', speed: true },
  { key: 'liveEdgeDriftSeconds', label: 'Drift behind the live edge' },
  { key: 'liveLatencySeconds', label: 'Live latency (behind the live edge)' },
  { key: 'variantBitrate', label: 'Variant bitrate pulled', bitrate: true },
];

const QUANTILES = ['min', 'p50', 'p90', 'p95', 'p99', 'max'] as const;

type ValueKind = { speed?: boolean; bitrate?: boolean };

function formatValue(value: number, kind: ValueKind): string {
  if (kind.speed) return `${formatNumber(value)}x`;
  // Bits per second; formatBitrate takes bytes per second.
  if (kind.bitrate) return formatBitrate(value / 8);
  return formatSeconds(value);
}

/** One row of bars (min … max), widths relative to the row's max: where the tail starts. */
function distributionRow(label: string, summary: Distribution, kind: ValueKind = {}): string {
  if (summary.count === 0) {
    return `<tr><th>${escapeHtml(label)}</th><td class="muted" colspan="2">no samples</td></tr>`;
  }
  const top = summary.max > 0 ? summary.max : 1;
  const bars = QUANTILES.map((quantile) => {
    const value = summary[quantile];
    const width = Math.max(1, Math.round((value / top) * 100));
    return `<div class="bar-row"><span class="q">${quantile}</span><span class="bar q-${quantile}" style="width:${width}%"></span><span class="v">${escapeHtml(formatValue(value, kind))}</span></div>`;
  }).join('');
  return `<tr><th>${escapeHtml(label)}<div class="muted">${summary.count} samples, mean ${escapeHtml(formatValue(summary.mean, kind))}</div></th><td class="bars" colspan="2">${bars}</td></tr>`;
}

export function distributionsSection(swarm: SwarmReport | null): string {
  if (!swarm) return '';
  const rows = DISTRIBUTIONS.flatMap(({ key, label, speed, bitrate }) => {
    const summary = swarm.distributions[key];
    return summary ? [distributionRow(label, summary, { speed, bitrate })] : [];
  });
  return `<section id="distributions"><h2>Distributions (whole run, all viewers)</h2><table class="dist"><tbody>${rows.join('')}</tbody></table></section>`;
}

/** Player QoE: how starts went, rebuffering, live latency (docs/metrics.md#player-qoe). */
export function qoeSection(swarm: SwarmReport | null): string {
  const qoe = swarm?.qoe;
  if (!qoe) return '';
  const reasons = Object.entries(qoe.videoStartFailureReasons)
    .map(([reason, n]) => `${reason} × ${n}`)
    .join(', ');
  const latency = swarm.distributions.liveLatencySeconds;
  return `<section id="qoe"><h2>Player QoE</h2>${keyValueTable([
    ['video start failures', `${qoe.videoStartFailures}${reasons ? ` (${escapeHtml(reasons)})` : ''}`],
    ['exits before video start', String(qoe.exitsBeforeVideoStart)],
    ['attempts that played', String(qoe.attemptsPlayed)],
    [
      'rebuffer ratio',
      `${escapeHtml(formatPercent(qoe.rebufferRatio))} (${escapeHtml(formatSeconds(qoe.rebufferSeconds))} stalled of ${escapeHtml(formatSeconds(qoe.watchSeconds + qoe.rebufferSeconds))} watched)`,
    ],
    [
      'rebuffer frequency',
      `${escapeHtml(formatNumber(qoe.rebufferFrequencyPerMinute))} per minute played (${qoe.rebufferEvents} stalls)`,
    ],
    [
      'live latency',
      latency && latency.count > 0
        ? `p50 ${escapeHtml(formatSeconds(latency.p50))}, p95 ${escapeHtml(formatSeconds(latency.p95))} (method: ${escapeHtml(qoe.liveLatencyMethod)})`
        : 'no samples',
    ],
    ['variant switches', String(qoe.variantSwitches)],
  ])}</section>`;
}

/**
 * Both viewer kinds side by side, when the run had light viewers (swarm.viewerKinds): the
 * demuxing ffmpeg viewers next to the in-process light ones on the same stream.
 */
export function viewerKindsSection(swarm: SwarmReport | null): string {
  const kinds = swarm?.viewerKinds;
  if (!kinds) return '';
  const columns = (['ffmpeg', 'light'] as const).flatMap((name) => {
    const kind = kinds[name];
    return kind ? [{ name, kind }] : [];
  });
  const rows: [string, (kind: ViewerKindReport) => string][] = [
    ['viewers', (kind) => String(kind.viewers)],
    [
      'requests (failed)',
      (kind) =>
        `${kind.requests.total} (<span class="${kind.requests.failed > 0 ? 'bad' : ''}">${kind.requests.failed}</span>)`,
    ],
    ['bytes', (kind) => escapeHtml(formatBytes(kind.requests.bytes))],
    [
      'segment download p50 / p95',
      (kind) =>
        kind.segmentDurationSeconds.count > 0
          ? escapeHtml(
              `${formatSeconds(kind.segmentDurationSeconds.p50)} / ${formatSeconds(kind.segmentDurationSeconds.p95)}`,
            )
          : '<span class="muted">no samples</span>',
    ],
    [
      'segment TTFB p95',
      (kind) =>
        kind.segmentTtfbSeconds.count > 0
          ? escapeHtml(formatSeconds(kind.segmentTtfbSeconds.p95))
          : '<span class="muted">no samples</span>',
    ],
    [
      'startup p50',
      (kind) =>
        kind.startupSeconds.count > 0
          ? escapeHtml(formatSeconds(kind.startupSeconds.p50))
          : '<span class="muted">no samples</span>',
    ],
    ['video start failures', (kind) => String(kind.qoe.videoStartFailures)],
    [
      'rebuffering',
      (kind) =>
        escapeHtml(
          `${formatPercent(kind.qoe.rebufferRatio)} (${kind.qoe.rebufferEvents} stall${kind.qoe.rebufferEvents === 1 ? '' : 's'})`,
        ),
    ],
  ];
  const head = columns.map(({ name }) => `<th>${name}</th>`).join('');
  const body = rows
    .map(
      ([label, cell]) =>
        `<tr><th>${escapeHtml(label)}</th>${columns.map(({ kind }) => `<td>${cell(kind)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<section id="viewer-kinds"><h2>Viewer kinds</h2><table class="grid"><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table></section>`;
}

export function startGateSection(swarm: SwarmReport | null): string {
  const gate = swarm?.startGate;
  if (!gate) return '';
  const lateness = gate.releaseLatenessSeconds;
  return `<section id="start-gate"><h2>Start gate</h2>${keyValueTable([
    ['prepare phase', `${escapeHtml(formatSeconds(gate.prepareSeconds))} (not measured)`],
    ['gated viewers', String(gate.gatedViewers)],
    ['waiting at the start', String(gate.heldAtStart)],
    ['arrivals while preparing', `${escapeHtml(formatNumber(gate.arrivalRatePerSecond))}/s`],
    ['prepare ended by', escapeHtml(gate.prepareEnd)],
    [
      'release lateness',
      escapeHtml(
        `p50 ${formatSeconds(lateness.p50)}, p95 ${formatSeconds(lateness.p95)}, p99 ${formatSeconds(lateness.p99)}, max ${formatSeconds(lateness.max)}`,
      ),
    ],
    ['late releases (> 20 ms)', `${gate.lateReleases} of ${lateness.count}`],
  ])}</section>`;
}

function countsList(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '<span class="muted">none</span>';
  return entries.map(([key, count]) => `${escapeHtml(key)}: ${count}`).join(', ');
}

export function swarmSection(swarm: SwarmReport | null): string {
  if (!swarm)
    return '<section id="swarm"><h2>Viewers</h2><p class="muted">The swarm never started.</p></section>';
  const kinds = Object.entries(swarm.requests)
    .map(
      ([kind, counts]) =>
        `<tr><td>${escapeHtml(kind)}</td><td>${counts.total}</td><td>${counts.ok}</td><td class="${counts.failed > 0 ? 'bad' : ''}">${counts.failed}</td><td>${escapeHtml(formatBytes(counts.bytes))}</td></tr>`,
    )
    .join('');
  const requests = `<table class="grid"><thead><tr><th>kind</th><th>total</th><th>ok</th><th>failed</th><th>bytes</th></tr></thead><tbody>${kinds}</tbody></table>`;
  return `<section id="swarm"><h2>Viewers and requests</h2><div class="two">${requests}${keyValueTable([
    [
      'viewers target / started / active at end',
      `${swarm.clientsTarget} / ${swarm.clientsStarted} / ${swarm.clientsActiveAtEnd}`,
    ],
    ['restarts, reconnects, timeouts', `${swarm.restarts}, ${swarm.reconnects}, ${swarm.timeouts}`],
    ['stalled at the end', String(swarm.stalledClients)],
    ['HTTP errors by status', countsList(swarm.errorsByStatus)],
    ['viewer exits', countsList(swarm.exitCategories)],
    ['throughput (average)', escapeHtml(formatBitrate(swarm.throughputBytesPerSecond))],
    ['timed viewers', swarm.timedViewers === undefined ? 'all' : String(swarm.timedViewers)],
    [
      'timings from',
      swarm.timingSource === 'relay'
        ? 'the measuring relay (µs)'
        : swarm.timingSource === 'log'
          ? 'ffmpeg log lines as read (ms)'
          : 'ffmpeg log lines',
    ],
    ['ffmpeg', escapeHtml(`${swarm.ffmpeg.version} (${swarm.ffmpeg.path})`)],
  ])}</div></section>`;
}

function scrapesTable(scrapes: Record<string, ReportScrapeHealth>): string {
  const rows = Object.entries(scrapes)
    .map(
      ([target, scrape]) =>
        `<tr><td>${escapeHtml(target)}</td><td><code>${escapeHtml(scrape.url)}</code></td><td>${scrape.attempts}</td><td class="${scrape.failures > 0 ? 'bad' : ''}">${scrape.failures}</td><td>${escapeHtml(scrape.lastError ?? '')}</td></tr>`,
    )
    .join('');
  if (!rows) return '';
  return `<h3>Scrape health</h3><table class="grid"><thead><tr><th>target</th><th>URL</th><th>attempts</th><th>failures</th><th>last error</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function originSection(report: HtmlReport): string {
  const origin = report.origin;
  const body = origin
    ? keyValueTable([
        ['kind', escapeHtml(origin.kind + (origin.profile ? ` (profile ${origin.profile})` : ''))],
        ['stream', `<code>${escapeHtml(origin.streamUrl)}</code>`],
        ['healthy', origin.healthy ? '<span class="ok">yes</span>' : '<span class="bad">no</span>'],
        [
          'problems',
          origin.problems.length ? escapeHtml(origin.problems.join('; ')) : '<span class="muted">none</span>',
        ],
        ['versions', countsListText(origin.versions)],
        [
          'processes',
          escapeHtml(
            origin.processes
              .map(
                (process) =>
                  `${process.name}${process.running ? ' running' : ` exited ${process.exitCode ?? process.signal ?? ''}`}`,
              )
              .join(', '),
          ),
        ],
      ])
    : '<p class="muted">The origin never started.</p>';
  return `<section id="origin"><h2>Origin</h2>${body}${scrapesTable(report.scrapes)}</section>`;
}

function countsListText(record: Record<string, string>): string {
  const entries = Object.entries(record);
  return entries.length
    ? escapeHtml(entries.map(([key, value]) => `${key} ${value}`).join(', '))
    : '<span class="muted">n/a</span>';
}

export function environmentSection(report: HtmlReport): string {
  const env = report.environment;
  return `<section id="environment"><h2>Environment</h2>${keyValueTable([
    ['hls-swarm', escapeHtml(`${report.tool.name} ${report.tool.version}`)],
    ['node', escapeHtml(env.node)],
    ['machine', escapeHtml(`${env.platform} ${env.osRelease} ${env.arch}, ${env.cpus} × ${env.cpuModel}`)],
    ['memory', escapeHtml(formatBytes(env.totalMemoryBytes))],
    ['CI', env.ci ? 'yes' : 'no'],
  ])}</section>`;
}

export function configSection(report: HtmlReport): string {
  const text = JSON.stringify(report.scenario.config, null, 2);
  return `<section id="scenario-config"><h2>Scenario configuration</h2><p class="muted">As validated, defaults applied, secret header values redacted.</p><pre class="config">${escapeHtml(text)}</pre></section>`;
}

/** Headline numbers under the banner. */
export function keyNumbers(report: HtmlReport): string {
  const swarm = report.swarm;
  if (!swarm) return '';
  const requests = Object.values(swarm.requests);
  const total = requests.reduce((sum, counts) => sum + counts.total, 0);
  const failed = requests.reduce((sum, counts) => sum + counts.failed, 0);
  const tiles: [string, string, boolean][] = [
    [
      'viewer starts (restarts incl.) / target',
      `${swarm.clientsStarted} / ${swarm.clientsTarget}`,
      swarm.clientsStarted < swarm.clientsTarget,
    ],
    ['requests failed', `${failed} of ${total} (${formatPercent(total ? failed / total : 0)})`, failed > 0],
    ['segment download p95', formatSeconds(swarm.distributions.segmentDurationSeconds.p95), false],
    ['startup p95', formatSeconds(swarm.distributions.startupSeconds.p95), false],
    ['throughput', formatBitrate(swarm.throughputBytesPerSecond), false],
    ['stalled at end', String(swarm.stalledClients), swarm.stalledClients > 0],
  ];
  const html = tiles
    .map(
      ([label, value, bad]) =>
        `<div class="tile${bad ? ' tile-bad' : ''}"><div class="tile-v">${escapeHtml(value)}</div><div class="tile-l">${escapeHtml(label)}</div></div>`,
    )
    .join('');
  return `<div class="tiles">${html}</div>`;
}

/** The baseline this run was compared with: every compared figure, n/a ones included. */
export function baselineSection(report: HtmlReport): string {
  const baseline = report.baseline;
  if (!baseline) return '';
  const bound = formatPercent(baseline.maxRegression);
  const rows = baseline.comparisons
    .map((row) => {
      const state =
        row.baseline === null || row.current === null
          ? '<span class="muted">n/a: not measured in both runs</span>'
          : row.regression
            ? `<span class="bad">worse by more than ${escapeHtml(bound)}</span>`
            : '<span class="ok">✓</span>';
      return `<tr class="${row.regression ? 'failed-strict' : ''}"><td>${escapeHtml(row.name)}</td><td class="num">${escapeHtml(row.text.baseline)}</td><td class="num">${escapeHtml(row.text.current)}</td><td class="num">${escapeHtml(row.text.change)}</td><td>${state}</td></tr>`;
    })
    .join('');
  return `<section id="baseline"><h2>Baseline</h2><p class="muted">${escapeHtml(`${baseline.report} · ${baseline.verdict} · started ${baseline.startedAt} · allowed change for the worse ${bound}${baseline.strict ? '' : ' · reported only'}`)}</p><table class="grid"><thead><tr><th>figure</th><th>baseline</th><th>this run</th><th>change</th><th></th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** A merged report's shards, or a shard report's place among them. */
export function shardsSection(report: HtmlReport): string {
  if (report.shard) {
    const { shard } = report;
    const late = shard.startLateMs !== null ? ` · began ${shard.startLateMs} ms after the common start` : '';
    return `<section id="shards"><h2>Shard</h2><p>${escapeHtml(`Shard ${shard.index} of ${shard.count} (0-based) on ${shard.host}: viewers ${shard.viewers}, at most ${shard.plannedClients} at once${late}. Its verdict is its own; 'hls-swarm merge' judges the shards together.`)}</p></section>`;
  }
  const shards = report.shards;
  if (!shards) return '';
  const rows = shards.merged
    .map(
      (entry) =>
        `<tr><td class="num">${entry.index}</td><td>${escapeHtml(entry.host)}</td><td class="num">${entry.plannedClients}</td><td>${escapeHtml(entry.verdict)}</td><td>${escapeHtml(entry.report)}</td></tr>`,
    )
    .join('');
  const missing = shards.missing
    .map(
      (index) =>
        `<tr class="failed-strict"><td class="num">${index}</td><td colspan="4"><span class="bad">no report</span></td></tr>`,
    )
    .join('');
  const spread = shards.startSpreadMs !== null ? ` · swarm starts ${shards.startSpreadMs} ms apart` : '';
  return `<section id="shards"><h2>Shards</h2><p class="muted">${escapeHtml(`${shards.merged.length} of ${shards.count} shards merged${spread}${shards.allowMissing ? ' · --allow-missing' : ''}`)}</p><table class="grid"><thead><tr><th>shard</th><th>host</th><th>viewers</th><th>verdict</th><th>report</th></tr></thead><tbody>${rows}${missing}</tbody></table></section>`;
}
