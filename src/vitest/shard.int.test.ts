import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { useTinyNginxOrigin } from '../origin/test/tiny-nginx.js';
import { readReportFile } from '../report/index.js';
import { mergeShardReports } from '../runner/index.js';
import { runFixtures } from './test/run-fixture.js';

/*
 * scenario() in shard mode (HLS_SWARM_SHARD=i/N in the environment, as a CI matrix job sets
 * it): the test writes its shard report and does not gate on its own thresholds; the merge of
 * both shards does. A scenario that boots its own origin is refused in shard mode.
 */

const tinyOrigin = useTinyNginxOrigin();

/** Sets environment variables for the rest of the test. */
function withEnv(values: Record<string, string>): void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  onTestFinished(() => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}

describe('scenario() as a shard', () => {
  test('each shard passes as a test and writes its shard report; the merge judges them together', async () => {
    withEnv({ HLS_SWARM_FIXTURE_ORIGIN_URL: tinyOrigin().streamUrl });
    const reports = [];
    for (const index of [0, 1]) {
      process.env.HLS_SWARM_SHARD = `${index}/2`;
      const run = await runFixtures(['sharded.load.ts']);
      delete process.env.HLS_SWARM_SHARD;
      expect(run.tests).toEqual([expect.objectContaining({ name: 'sharded fleet', state: 'passed' })]);
      expect(run.exitCode).toBe(0);
      expect(run.leftovers).toEqual([]);
      const path = join(run.reportDir, 'sharded', `sharded-fleet.shard-${index}-of-2.json`);
      const report = await readReportFile(path);
      expect(report.shard).toMatchObject({ index, count: 2, plannedClients: 2 });
      // Alone, a shard misses the fleet threshold: its own verdict says so, the test does not gate on it.
      expect(report.verdict).toBe('fail');
      expect(report.thresholds.find((entry) => entry.metric === 'clients_active')?.observed).toBe(2);
      reports.push({ path, report });
    }
    // Run one after the other here (one Vitest at a time in this process), the two shards never
    // made a fleet of 4: the merge sees 2 at most and fails the gate, naming the threshold.
    // Shards that do run together pass it: src/runner/shards.int.test.ts.
    const merged = mergeShardReports(reports);
    expect(merged.verdict).toBe('fail');
    expect(merged.reason).toBe('1 strict threshold failed: clients_active max>=4');
    expect(merged.thresholds.find((entry) => entry.metric === 'clients_active')?.observed).toBe(2);
    expect(merged.swarm?.clientsStarted).toBe(4);
    expect(merged.shards?.startSpreadMs).toBeGreaterThan(5000);
  });

  test('a scenario that boots its own origin fails in shard mode, naming origin.kind', async () => {
    withEnv({ HLS_SWARM_SHARD: '0/2' });
    const run = await runFixtures(['pass.load.ts']);
    expect(run.tests).toEqual([expect.objectContaining({ state: 'failed' })]);
    expect(run.tests[0]?.errors.join('\n')).toContain(
      "origin.kind: with HLS_SWARM_SHARD=0/2 every shard must load one shared origin: kind 'external' with its url (got 'python')",
    );
    expect(run.leftovers).toEqual([]);
  });
});
