import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Report } from '../../report/index.js';
import { run as compare } from './compare.js';

// Reports recorded from real runs by src/report/test/record-reports.ts.
const fixturePath = (name: string) =>
  new URL(`../../report/test/fixtures/${name}.json`, import.meta.url).pathname;

const tmpDirs: string[] = [];
afterEach(async () => {
  for (const dir of tmpDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

it('hls-swarm compare: 0 same run, 1 regression beyond the bound, 2 different scenarios', async () => {
  expect(await compare([fixturePath('pass'), fixturePath('pass')])).toBe(0);
  expect(await compare([fixturePath('pass'), fixturePath('outage')])).toBe(2);

  const report = JSON.parse(await readFile(fixturePath('pass'), 'utf8')) as Report;
  const swarm = report.swarm as NonNullable<Report['swarm']>;
  const startup = swarm.distributions.startupSeconds;
  const slower = {
    ...report,
    swarm: {
      ...swarm,
      distributions: { ...swarm.distributions, startupSeconds: { ...startup, p95: startup.p95 * 2 } },
    },
  };
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-compare-'));
  tmpDirs.push(dir);
  await writeFile(join(dir, 'slower.json'), JSON.stringify(slower));
  expect(await compare([fixturePath('pass'), join(dir, 'slower.json')])).toBe(1);
  expect(await compare([fixturePath('pass'), join(dir, 'slower.json'), '--max-regression', '150%'])).toBe(0);
});
