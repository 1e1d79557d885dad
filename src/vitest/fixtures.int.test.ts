import { expect, test } from 'vitest';
import { runFixtures } from './test/run-fixture.js';

/*
 * The imperative fixtures (origin, swarm, metrics) and toMeetSlo on a sampler, run through
 * Vitest's Node API like a user's load file.
 */
test('origin, swarm and metrics fixtures work without scenario(), and toMeetSlo judges the sampler', async () => {
  const run = await runFixtures(['imperative.load.ts']);
  expect(run.tests).toEqual([
    expect.objectContaining({ name: 'swarm, metrics and toMeetSlo by hand', state: 'passed', errors: [] }),
    expect.objectContaining({
      name: 'the file origin is shared by the tests of a file',
      state: 'passed',
      errors: [],
    }),
  ]);
  expect(run.exitCode).toBe(0);
  expect(run.taggedSeen).toBeGreaterThan(0);
  expect(run.leftovers).toEqual([]);
});
