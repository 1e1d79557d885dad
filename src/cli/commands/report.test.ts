import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { renderHtmlReport } from '../../report/html/index.js';
import { parseReportForHtml, type Report } from '../../report/index.js';
import { run as reportCommand } from './report.js';

// A report recorded from a real run by src/report/test/record-reports.ts.
const fixturePath = (name: string) =>
  new URL(`../../report/test/fixtures/${name}.json`, import.meta.url).pathname;

async function fixture(name: string): Promise<Report> {
  return JSON.parse(await readFile(fixturePath(name), 'utf8')) as Report;
}

const tmpDirs: string[] = [];
afterEach(async () => {
  for (const dir of tmpDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

it('hls-swarm report html: exit 2 and the old page kept on bad input; written on good input', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-html-'));
  tmpDirs.push(dir);
  const out = join(dir, 'page.html');
  await writeFile(out, 'previous page');
  const report = await fixture('pass');
  await writeFile(join(dir, 'newer.json'), JSON.stringify({ ...report, schemaVersion: 99 }));
  expect(await reportCommand(['html', join(dir, 'newer.json'), '--out', out])).toBe(2);
  expect(await readFile(out, 'utf8')).toBe('previous page');
  expect(await reportCommand(['html', fixturePath('pass'), '--out', out])).toBe(0);
  expect(await readFile(out, 'utf8')).toBe(renderHtmlReport(parseReportForHtml(report, 'pass')));
});
