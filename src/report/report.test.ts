import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { parseScenario } from '../config/index.js';
import { REDACTED, redactHeaders, redactText, redactUrl } from '../system/index.js';
import {
  buildReport,
  buildTimeline,
  fileStemOf,
  formatProgress,
  formatSummary,
  formatSummaryLines,
  formatThresholdLine,
  type Report,
  redactConfig,
  reportJsonSchema,
  reportPathFor,
  reportSchema,
  slugify,
  writeReport,
} from './index.js';

// Reports recorded from real runs by src/report/test/record-reports.ts.
const FIXTURES = fileURLToPath(new URL('./test/fixtures/', import.meta.url));
const recorded = (name: string): Report =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Report;

describe('report schema', () => {
  test.each(['pass', 'outage', 'interrupted'])('the recorded %s report matches the schema', (name) => {
    expect(reportSchema.safeParse(recorded(name)).success).toBe(true);
  });

  test('verdicts of the recorded runs', () => {
    expect([recorded('pass').verdict, recorded('outage').verdict, recorded('interrupted').verdict]).toEqual([
      'pass',
      'fail',
      'interrupted',
    ]);
  });

  test('an unknown key, a wrong verdict or a missing section is rejected with its path', () => {
    const report = recorded('pass');
    const extra = reportSchema.safeParse({ ...report, surprise: 1 });
    expect(extra.success).toBe(false);
    const verdict = reportSchema.safeParse({ ...report, verdict: 'ok' });
    expect(verdict.error?.issues[0]?.path).toEqual(['verdict']);
    const { timeline: _timeline, ...noTimeline } = report;
    expect(reportSchema.safeParse(noTimeline).error?.issues[0]?.path).toEqual(['timeline']);
  });

  test('the JSON Schema requires the top-level sections and closes objects', () => {
    const schema = reportJsonSchema() as { required: string[]; additionalProperties: boolean; $id: string };
    expect(schema.$id).toBe('https://hls-swarm.dev/report.schema.json');
    expect(schema.required).toEqual(
      expect.arrayContaining([
        'schemaVersion',
        'tool',
        'scenario',
        'verdict',
        'timeline',
        'origin',
        'swarm',
        'thresholds',
        'timeseries',
        'scrapes',
        'environment',
      ]),
    );
    expect(schema.additionalProperties).toBe(false);
  });

  test('timeseries columns have one value per row', () => {
    const { timeseries } = recorded('pass');
    expect(timeseries?.t.length).toBeGreaterThan(0);
    for (const column of Object.values(timeseries?.series ?? {}))
      expect(column).toHaveLength(timeseries?.t.length ?? -1);
  });
});

describe('redaction', () => {
  test('credential headers are redacted by name or by value, others kept', () => {
    expect(
      redactHeaders({
        Authorization: 'Basic dXNlcjpwYXNz',
        cookie: 'session=abc',
        'X-Api-Key': 'k',
        'X-Auth-Token': 't',
        'X-Custom': 'Bearer abc.def',
        'X-Viewer': 'fixture',
        Accept: '*/*',
      }),
    ).toEqual({
      Authorization: REDACTED,
      cookie: REDACTED,
      'X-Api-Key': REDACTED,
      'X-Auth-Token': REDACTED,
      'X-Custom': REDACTED,
      'X-Viewer': 'fixture',
      Accept: '*/*',
    });
  });

  test('passwords and signed query parameters in URLs are redacted', () => {
    expect(redactUrl('https://user:hunter2@cdn.example/live/master.m3u8?token=abc&quality=hd')).toBe(
      `https://user:${REDACTED}@cdn.example/live/master.m3u8?token=${REDACTED}&quality=hd`,
    );
    expect(redactUrl('http://127.0.0.1:17080/stream.m3u8')).toBe('http://127.0.0.1:17080/stream.m3u8');
    expect(redactText("ffmpeg -headers 'Authorization: Bearer xyz' -i http://h/a.m3u8?sig=1")).toBe(
      `ffmpeg -headers 'Authorization: ${REDACTED}' -i http://h/a.m3u8?sig=${REDACTED}`,
    );
  });

  test('a report never contains a secret header value from the scenario', () => {
    const scenario = parseScenario({
      name: 'secret',
      origin: { kind: 'external', url: 'http://127.0.0.1:1/live.m3u8?token=abc' },
      swarm: {
        clients: 1,
        headers: { Authorization: 'Bearer top-secret', Cookie: 'sid=42', 'X-Trace': 'on' },
      },
    });
    const report = buildReport({
      scenario: { name: scenario.name, config: scenario },
      verdict: 'error',
      timeline: buildTimeline({ startMs: 1000, endMs: 2000, plannedSwarmSeconds: 30 }),
      origin: null,
      swarm: null,
      thresholds: [],
      timeseries: null,
      error: new Error('request failed: Authorization: Bearer top-secret'),
    });
    const text = JSON.stringify(report);
    expect(text).not.toContain('top-secret');
    expect(text).not.toContain('sid=42');
    expect(text).not.toContain('token=abc');
    expect(text).toContain('"X-Trace":"on"');
    expect(reportSchema.safeParse(report).success).toBe(true);
    // The input object is left alone.
    expect(scenario.swarm.headers.Authorization).toBe('Bearer top-secret');
    expect(redactConfig({ a: { headers: { Cookie: 'x' } } })).toEqual({
      a: { headers: { Cookie: REDACTED } },
    });
  });

  test('the recorded reports carry the redacted header only', () => {
    for (const name of ['pass', 'outage', 'interrupted']) {
      const text = readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
      expect(text).not.toContain('recorded-secret-token');
      expect(text).toContain('"Authorization": "[redacted]"');
    }
  });
});

describe('console summary', () => {
  test('one ✓/✗ line per threshold with the observed value, then the main numbers', () => {
    const report = recorded('pass');
    const lines = formatSummaryLines(report, { reportPath: 'reports/x/pass.json' });
    expect(lines[0]).toMatch(/^hls-swarm recorded pass: PASS in \d/);
    const thresholdLines = lines.filter((line) => /^ {4}[✓✗] /.test(line));
    expect(thresholdLines).toHaveLength(report.thresholds.length);
    expect(thresholdLines[0]).toMatch(/^ {4}✓ request_errors rate<0.05 \[steady\] observed 0 \(0\.00%\)$/);
    // The non-strict breach is shown as such, with the evaluator's reason.
    expect(thresholdLines[2]).toMatch(
      /^ {4}✗ segment_duration p\(50\)<0.01ms \[steady\] observed \d+(\.\d+)?ms \(not strict\) — /,
    );
    const segments = report.swarm?.requests.segment.total;
    expect(lines.find((line) => line.startsWith('  requests'))).toContain(`segments ${segments}`);
    expect(lines.find((line) => line.startsWith('  origin'))).toMatch(/python · ffmpeg \d/);
    expect(lines.at(-1)).toBe('  report       reports/x/pass.json');
  });

  test('failed, interrupted and aborted runs say why; actions are listed', () => {
    const outage = formatSummary(recorded('outage'));
    expect(outage).toMatch(/: FAIL in /);
    expect(outage).toMatch(/reason: 1 strict threshold failed: request_errors rate<0.01/);
    expect(outage).toMatch(/action: stop origin at 8\.\d+s/);
    expect(outage).toMatch(/✗ request_errors rate<0.01 \[steady\] observed 0\.\d+ \(\d+\.\d+%\)/);
    const interrupted = formatSummary(recorded('interrupted'));
    expect(interrupted).toMatch(/: INTERRUPTED in /);
    expect(interrupted).toContain('reason: interrupted: recorded interruption');
  });

  test('colour only when asked', () => {
    const [result] = recorded('pass').thresholds;
    if (!result) throw new Error('the fixture has thresholds');
    expect(formatThresholdLine(result)).not.toContain('\u001b[');
    expect(formatThresholdLine(result, true)).toContain('\u001b[32m✓');
  });

  test('a progress line carries elapsed/total, clients, segments/s, errors and p95', () => {
    expect(
      formatProgress({
        scenario: 'steady',
        phase: 'steady',
        elapsedSeconds: 65,
        totalSeconds: 120,
        clientsActive: 48,
        clientsTarget: 50,
        segmentsPerSecond: 24.44,
        errorsTotal: 3,
        errorsInInterval: 1,
        segmentP95Seconds: 0.0123,
        throughputBytesPerSecond: 6_000_000,
        restarts: 2,
        stalledClients: 0,
      }),
    ).toBe(
      '[hls-swarm] steady  1m05s/2m00s  steady  clients 48/50  seg/s 24.4  errors 3 (+1)  p95 12ms  48.0 Mb/s  restarts 2',
    );
  });
});

describe('report files', () => {
  test('paths are reports/<file-stem>/<test-slug>.json', () => {
    expect(fileStemOf('/x/scenarios/origin-outage.load.ts')).toBe('origin-outage');
    expect(slugify('Ramp > 200 viewers: hold!')).toBe('ramp-200-viewers-hold');
    expect(reportPathFor('reports', 'smoke', 'smoke test')).toBe(join('reports', 'smoke', 'smoke-test.json'));
  });

  test('a report is validated and written atomically; an invalid one is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-report-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'nested', 'pass.json');
    await writeReport(path, recorded('pass'));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(recorded('pass'));
    expect(readdirSync(join(dir, 'nested'))).toEqual(['pass.json']);
    const broken = { ...recorded('pass'), verdict: 'maybe' } as unknown as Report;
    await expect(writeReport(join(dir, 'broken.json'), broken)).rejects.toThrow(/verdict/);
    expect(existsSync(join(dir, 'broken.json'))).toBe(false);
  });
});
