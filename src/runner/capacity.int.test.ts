import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedCalibration, recordedEntry } from '../swarm/calibrate/test/recorded.js';
import { calibrationKeyFor, conditionsWarning, profileTarget, writeCalibration } from '../swarm/index.js';
import { readHostMemory } from '../system/index.js';
import { runScenario } from './run-scenario.js';

/*
 * generator.capacityCheck against a cached calibration. The cache (a temporary
 * XDG_CACHE_HOME) holds the costs a real calibration measured (fixtures/calibration/), keyed
 * for this host and ffmpeg as `hls-swarm calibrate --profile tiny --origin python` would be.
 */

const recorded = recordedCalibration;
const root = mkdtempSync(join(tmpdir(), 'hls-swarm-capacity-int-'));
const savedCacheHome = process.env.XDG_CACHE_HOME;

beforeAll(async () => {
  process.env.XDG_CACHE_HOME = join(root, 'cache');
  const key = await calibrationKeyFor(profileTarget('python', 'tiny'), 'trace', readHostMemory());
  const entry = recordedEntry(key);
  writeCalibration(entry, join(root, 'cache', 'hls-swarm'));
});
afterAll(() => {
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCacheHome;
  rmSync(root, { recursive: true, force: true });
});

const tinyPython = { kind: 'python' as const, profile: 'tiny' as const, port: 0 };

describe('capacity check before a scenario starts', () => {
  it("'error': more viewers than the host drives fail before the origin starts; the report says why", async () => {
    const lines: string[] = [];
    const result = await runScenario(
      {
        name: 'too many viewers',
        origin: tinyPython,
        swarm: { clients: 5000, rampRate: 1000 },
        generator: { capacityCheck: 'error' },
      },
      { reportFile: join(root, 'error.json'), log: (line) => lines.push(line), keepOriginLogs: false },
    );
    expect(result.verdict).toBe('error');
    expect(result.error?.name).toBe('CapacityError');
    expect(result.report.reason).toMatch(
      /^5000 viewers planned, this host drives ~\d+ \(calibrated \d{4}-\d\d-\d\d/,
    );
    expect(result.report.reason).toContain('reduce clients or shard the load');
    expect(result.report.origin).toBeNull();
    expect(result.report.swarm).toBeNull();
    expect(result.report.error).not.toHaveProperty('stack');
    expect(result.report.capacity).toMatchObject({ plannedClients: 5000 });
    expect(result.report.capacity?.estimate).toBeLessThan(5000);
    expect(lines.some((line) => line.includes('starting python origin'))).toBe(false);
    expect(JSON.parse(readFileSync(join(root, 'error.json'), 'utf8')).capacity.plannedClients).toBe(5000);
  });

  it("'warn' (the default): a scenario within the estimate runs, the log and the report carry the estimate", async () => {
    const lines: string[] = [];
    const result = await runScenario(
      { name: 'two viewers', origin: tinyPython, swarm: { clients: 2, duration: '6s', warmup: '1s' } },
      { reportFile: join(root, 'warn.json'), log: (line) => lines.push(line), keepOriginLogs: false },
    );
    expect(result.verdict, result.report.reason).toBe('pass');
    const estimate = result.report.capacity?.estimate as number;
    expect(estimate).toBeGreaterThanOrEqual(2);
    // A calibration measured on a busy host (as the recorded one was) says so.
    const busy =
      recorded.conditions && conditionsWarning(recorded.conditions)
        ? ', measured on a busy host: may be high'
        : '';
    expect(lines).toContain(
      `[hls-swarm] two viewers: 2 viewers planned, this host drives ~${estimate} (calibrated ${recorded.calibratedAt.slice(0, 10)}, python origin, profile tiny, limited by ${result.report.capacity?.limitedBy}${busy})`,
    );
    // The check comes before the origin starts.
    const checkLine = lines.findIndex((line) => line.includes('viewers planned'));
    expect(checkLine).toBeLessThan(lines.findIndex((line) => line.includes('starting python origin')));
  });

  it('without a calibration for the stream: one line naming the command, and capacity null', async () => {
    const lines: string[] = [];
    const result = await runScenario(
      {
        name: 'no calibration',
        origin: { kind: 'external', url: 'http://127.0.0.1:9/stream.m3u8', readyTimeout: '1s' },
        swarm: { clients: 2, duration: '2s' },
      },
      { reportFile: join(root, 'none.json'), log: (line) => lines.push(line) },
    );
    expect(result.report.capacity).toBeNull();
    expect(
      lines.filter((line) => line.includes('`hls-swarm calibrate <the stream URL>` gives an estimate')),
    ).toHaveLength(1);
  });
});
