import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { startVitest } from 'vitest/node';
import { taggedLeftovers, taggedProcesses } from '../../system/test/processes.js';
import { startTaggedRun, type TaggedRun } from '../../system/test/tagged-run.js';

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
  const leftovers = await taggedLeftovers(tag);
  return { exitCode, output, reportDir, tests, leftovers, taggedSeen };
}

/**
 * The same run as `vitest run --project load <files>` in a process of its own (its own process
 * group), for what only a real process shows: signals sent to it, its exit code.
 */
export async function startFixturesProcess(files: string[]): Promise<TaggedRun & { reportDir: string }> {
  const reportDir = await mkdtemp(join(tmpdir(), 'hls-swarm-fixture-reports-'));
  onTestFinished(() => rm(reportDir, { recursive: true, force: true }));
  const vitestCli = join(ROOT, 'node_modules/vitest/vitest.mjs');
  const run = startTaggedRun(
    process.execPath,
    [
      vitestCli,
      'run',
      '--config',
      join(FIXTURES, 'vitest.config.ts'),
      '--project',
      'load',
      ...files.map((file) => join(FIXTURES, file)),
    ],
    { cwd: ROOT, env: { HLS_SWARM_FIXTURE_REPORTS: reportDir } },
  );
  return Object.assign(run, { reportDir });
}

export async function readJson<T = Record<string, unknown>>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
