import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { startVitest } from 'vitest/node';

/*
 * Runs fixture scenario files through Vitest's Node API with the fixture config (nothing
 * but the plugin), as a user's `vitest --project load` would, and reports what came out:
 * the exit code Vitest set, each test's state and errors, the captured console output, and
 * the processes the run left behind (found by an environment tag every child inherits).
 */

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface FixtureRun {
  exitCode: number;
  output: string;
  reportDir: string;
  tests: Array<{ file: string; name: string; state: string; errors: string[] }>;
  /** `name (pid)` of ffmpeg/nginx/python/exporter processes carrying the run's tag, after it ended. */
  leftovers: string[];
  /** Such processes seen while the run was going (proves the tag reaches them). */
  taggedSeen: number;
}

const WATCHED = /^(ffmpeg|nginx|python[\d.]*|prometheus-.*)$/;

async function taggedProcesses(tag: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'latin1');
      if (!environ.includes(`HLS_SWARM_TEST_TAG=${tag}`)) continue;
      const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // a zombie holds no resources and cannot be killed
      if (WATCHED.test(comm)) found.push(`${comm} (${entry})`);
    } catch {}
  }
  return found;
}

export async function runFixtures(files: string[]): Promise<FixtureRun> {
  const reportDir = await mkdtemp(join(tmpdir(), 'hls-swarm-fixture-reports-'));
  // Called inside a test: the reports stay readable until it ends, then the folder goes.
  onTestFinished(() => rm(reportDir, { recursive: true, force: true }));
  const tag = randomUUID();
  const previous = {
    exitCode: process.exitCode,
    reports: process.env.HLS_SWARM_FIXTURE_REPORTS,
    tag: process.env.HLS_SWARM_TEST_TAG,
  };
  process.env.HLS_SWARM_FIXTURE_REPORTS = reportDir;
  process.env.HLS_SWARM_TEST_TAG = tag;
  process.exitCode = undefined;
  let output = '';
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      output += String(chunk);
      callback();
    },
  });
  let taggedSeen = 0;
  const watcher = setInterval(() => {
    void taggedProcesses(tag).then((list) => {
      taggedSeen = Math.max(taggedSeen, list.length);
    });
  }, 2000);
  let exitCode: number;
  let tests: FixtureRun['tests'] = [];
  try {
    const vitest = await startVitest(
      'test',
      files.map((file) => join(FIXTURES, file)),
      {
        config: join(FIXTURES, 'vitest.config.ts'),
        root: ROOT,
        project: 'load',
        run: true,
        watch: false,
        color: false,
      },
      {},
      { stdout: sink, stderr: sink },
    );
    tests = vitest.state.getTestModules().flatMap((module) =>
      [...module.children.allTests()].map((test) => {
        const result = test.result();
        return {
          file: module.moduleId,
          name: test.fullName,
          state: result.state,
          errors: result.state === 'failed' ? result.errors.map((error) => error.message) : [],
        };
      }),
    );
    exitCode = Number(process.exitCode ?? 0);
  } finally {
    clearInterval(watcher);
    process.exitCode = previous.exitCode;
    if (previous.reports === undefined) delete process.env.HLS_SWARM_FIXTURE_REPORTS;
    else process.env.HLS_SWARM_FIXTURE_REPORTS = previous.reports;
    if (previous.tag === undefined) delete process.env.HLS_SWARM_TEST_TAG;
    else process.env.HLS_SWARM_TEST_TAG = previous.tag;
  }
  // Owned processes are stopped before the run returns; allow a moment for exits to land.
  let leftovers = await taggedProcesses(tag);
  for (let attempt = 0; attempt < 10 && leftovers.length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    leftovers = await taggedProcesses(tag);
  }
  return { exitCode, output, reportDir, tests, leftovers, taggedSeen };
}

export async function readJson<T = Record<string, unknown>>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
