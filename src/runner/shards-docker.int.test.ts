import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { originSchema } from '../config/index.js';
import { parseAccessLog } from '../metrics/index.js';
import {
  ensureOfflineBaseImage,
  provideDockerEngine,
  type TestDockerEngine,
} from '../origin/container/test/docker-engine.js';
import { type RunningOrigin, startOrigin } from '../origin/index.js';
import { type HtmlReport, readReportFile, reportSchema } from '../report/index.js';
import { spawnOwned } from '../system/index.js';
import { mergeShardReports } from './index.js';

/*
 * Shards as a Docker Swarm job: the project's own image (nix/container/shard.Dockerfile: the
 * host's node, dist/ and production node_modules on the offline Debian base with ffmpeg) runs
 * three shards of one load run as swarm services against an nginx origin on this host's
 * 127.0.0.1, aligned on a common --start-at; the shard reports land in a bind-mounted folder and
 * are merged here (mergeShardReports) and by the image itself (`hls-swarm merge`).
 *
 * Recipe: one single-task `replicated-job` service per shard, each given HLS_SWARM_SHARD=i/3.
 * Not one 3-replica job with {{.Task.Slot}}: on this engine (docker.io 20.10) the template
 * renders 1, 2 and the node id (the first test measures it), so it cannot index shards 0..N-1.
 *
 * The engine is the test-owned dockerd (no bridge, no iptables) in swarm mode, listening on
 * 127.0.0.1 only. Swarm mode makes dockerd create a `docker_gwbridge` bridge on the host when the
 * first task starts; the test removes it (network and interface) with the swarm, and checks that
 * no container, service, PID of the engine or bridge is left.
 */

const SHARDS = 3;
const CLIENTS = 6;
const RAMP_RATE = 3;
const DURATION_S = 15;
/** How far ahead the common start is: the three tasks must be scheduled and prepared by then. */
const START_AHEAD_MS = 25_000;
const BUILD_SCRIPT = fileURLToPath(new URL('../../nix/container/build-shard-image.sh', import.meta.url));
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const TEST_LABEL = 'io.hls-swarm.test';

const timings: Record<string, number> = {};
let engine: TestDockerEngine | undefined;
let origin: RunningOrigin | undefined;
let image = '';
let baseImage = '';
let reportsDir = '';
let swarmInitialised = false;
let linksBefore: string[] = [];
const services: string[] = [];

interface CommandResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

async function run(file: string, args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  const child = spawnOwned(file, args, {
    env: { ...process.env, DOCKER_HOST: engine?.dockerHost ?? '' },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: timeoutMs,
  });
  const result = await child.subprocess;
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The docker CLI against our engine; throws with its stderr unless it exits 0. */
async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  const result = await run('docker', args, timeoutMs);
  if (result.exitCode !== 0)
    throw new Error(`docker ${args.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

function hostLinks(): string[] {
  return lines(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).map(
    (line) => line.split(':')[1]?.trim().split('@')[0] ?? '',
  );
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Leaves the swarm (if any) and removes the gateway bridge swarm mode creates. */
async function leaveSwarm(): Promise<void> {
  const state = await docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).catch(() => '');
  if (state !== 'inactive' && state !== '') await docker(['swarm', 'leave', '--force']);
  if ((await run('docker', ['network', 'inspect', 'docker_gwbridge'])).exitCode === 0) {
    await docker(['network', 'rm', 'docker_gwbridge']);
  }
}

async function removeOurContainers(): Promise<void> {
  const ids = lines(await docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}=${RUN_ID}`]));
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids]);
}

interface TaskState {
  id: string;
  slot: number;
  state: string;
  exitCode: number | undefined;
  containerId: string;
  error: string;
}

async function serviceTasks(service: string): Promise<TaskState[]> {
  const ids = lines(await docker(['service', 'ps', '-q', '--no-trunc', service]));
  if (ids.length === 0) return [];
  const format =
    '{{json .ID}}\t{{json .Slot}}\t{{json .Status.State}}\t{{json .Status.ContainerStatus}}\t{{json .Status.Err}}';
  return lines(await docker(['inspect', '--type', 'task', '--format', format, ...ids])).map((line) => {
    const [id, slot, state, container, error] = line.split('\t').map((field) => JSON.parse(field));
    return {
      id,
      slot,
      state,
      exitCode: (container as { ExitCode?: number } | null)?.ExitCode,
      containerId: (container as { ContainerID?: string } | null)?.ContainerID ?? '',
      error: error ?? '',
    };
  });
}

/** Waits (bounded) until every task of `names` is in a final state; returns them by service. */
async function waitForJobs(names: string[], timeoutMs: number): Promise<Map<string, TaskState[]>> {
  const final = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = new Map<string, TaskState[]>();
    for (const name of names) tasks.set(name, await serviceTasks(name));
    const done = [...tasks.values()].every(
      (list) => list.length > 0 && list.every((task) => final.has(task.state)),
    );
    if (done) return tasks;
    if (Date.now() > deadline) {
      const states = [...tasks].map(([name, list]) => `${name}: ${list.map((t) => t.state).join(',')}`);
      throw new Error(`swarm jobs not finished after ${timeoutMs} ms: ${states.join('; ')}`);
    }
    await sleep(1000);
  }
}

async function createJob(name: string, args: string[]): Promise<void> {
  services.push(name);
  await docker([
    'service',
    'create',
    '--detach',
    '--quiet',
    '--name',
    name,
    '--mode',
    'replicated-job',
    '--restart-condition',
    'none',
    '--no-resolve-image',
    '--container-label',
    `${TEST_LABEL}=${RUN_ID}`,
    ...args,
  ]);
}

beforeAll(async () => {
  const startedMs = Date.now();
  linksBefore = hostLinks();
  // If the engine or the base image cannot be had, this fails loudly: the test is never skipped.
  engine = await provideDockerEngine();
  timings.engineStartMs = engine.startMs;
  timings.cachedDataRoot = engine.cachedDataRoot ? 1 : 0;
  const base = await ensureOfflineBaseImage(engine.dockerHost);
  baseImage = base.image;
  timings.baseImageMs = base.ms;
  const buildStartedMs = Date.now();
  const build = await run('bash', [BUILD_SCRIPT, baseImage], 600_000);
  if (build.exitCode !== 0)
    throw new Error(`build-shard-image.sh failed (exit ${build.exitCode}):\n${build.stderr.slice(-4000)}`);
  image = lines(build.stdout).at(-1) ?? '';
  timings.shardImageMs = Date.now() - buildStartedMs;
  expect(image).toMatch(/^hls-swarm\/shard:[0-9a-f]{16}$/);

  if (engine.startedByUs) {
    // A run that was killed may have left the cached engine in a swarm, or its gateway bridge.
    await leaveSwarm();
  } else {
    // Someone else's engine (DOCKER_HOST, /var/run/docker.sock): never take over its swarm.
    const state = await docker(['info', '--format', '{{.Swarm.LocalNodeState}}']);
    if (state !== 'inactive')
      throw new Error(
        `the engine at ${engine.dockerHost} is in swarm state '${state}': this test needs an engine outside any swarm`,
      );
  }
  const port = await freeLoopbackPort();
  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', `127.0.0.1:${port}`]);
  swarmInitialised = true;

  origin = await startOrigin(
    originSchema.parse({ kind: 'nginx', profile: 'tiny', port: 0, exporters: false }),
  );
  reportsDir = await mkdtemp(join(tmpdir(), 'hls-swarm-shards-docker-'));
  timings.setupMs = Date.now() - startedMs;
}, 900_000);

afterAll(async () => {
  const stopStartedMs = Date.now();
  const problems: string[] = [];
  const attempt = async (what: string, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  let containersLeft: string[] = [];
  let servicesLeft: string[] = [];
  if (engine) {
    for (const name of services) await attempt(`service rm ${name}`, () => docker(['service', 'rm', name]));
    // `docker service rm` of a job leaves its tasks' stopped containers behind: remove them.
    await attempt('remove containers', async () => {
      for (let round = 0; round < 20; round++) {
        await removeOurContainers();
        if (lines(await docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}=${RUN_ID}`])).length === 0)
          break;
        await sleep(500);
      }
    });
    if (swarmInitialised) await attempt('leave the swarm', leaveSwarm);
    await attempt('list services', async () => {
      const state = await docker(['info', '--format', '{{.Swarm.LocalNodeState}}']);
      servicesLeft = state === 'active' ? lines(await docker(['service', 'ls', '-q'])) : [];
    });
    await attempt('list containers', async () => {
      containersLeft = engine?.startedByUs
        ? lines(await docker(['ps', '-aq']))
        : lines(await docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}=${RUN_ID}`]));
    });
  }
  await attempt('stop origin', async () => origin?.stop());
  await engine?.stop();
  if (reportsDir) await rm(reportsDir, { recursive: true, force: true });
  timings.cleanupMs = Date.now() - stopStartedMs;
  process.stderr.write(`[shards-docker.int.test] timings (ms): ${JSON.stringify(timings)}\n`);
  expect(problems).toEqual([]);
  expect(servicesLeft).toEqual([]);
  expect(containersLeft).toEqual([]);
  expect(engine?.leftoverPids() ?? []).toEqual([]);
  // No bridge (docker_gwbridge) or other interface of ours is left on the host.
  expect(hostLinks().filter((link) => !linksBefore.includes(link))).toEqual([]);
}, 180_000);

describe('shards as a Docker Swarm job', () => {
  test('{{.Task.Slot}} of a 3-replica replicated-job is not 0..N-1 on this engine', async () => {
    const name = `hls-swarm-slot-probe-${RUN_ID}`;
    await createJob(name, [
      '--replicas',
      '3',
      '--max-concurrent',
      '3',
      '--network',
      'host',
      '--env',
      'SLOT={{.Task.Slot}}',
      baseImage,
      'bash',
      '-c',
      'echo "slot=$SLOT"',
    ]);
    const tasks = (await waitForJobs([name], 90_000)).get(name) ?? [];
    expect(tasks.map((task) => task.state)).toEqual(['complete', 'complete', 'complete']);
    const logs = await run('docker', ['service', 'logs', '--raw', name]);
    const rendered = [...`${logs.stdout}\n${logs.stderr}`.matchAll(/slot=(\S+)/g)].map((match) => match[1]);
    const nodeId = await docker(['info', '--format', '{{.Swarm.NodeID}}']);
    const engineVersion = await docker(['version', '--format', '{{.Server.Version}}']);
    process.stderr.write(
      `[shards-docker.int.test] docker ${engineVersion}: task slots ${JSON.stringify(tasks.map((task) => task.slot).sort())}, ` +
        `{{.Task.Slot}} rendered ${JSON.stringify(rendered.sort())} (node id ${nodeId})\n`,
    );
    // The API's slots are 0, 1, 2, but the template renders slot 0 as the node id.
    expect(tasks.map((task) => task.slot).sort()).toEqual([0, 1, 2]);
    expect(rendered.sort()).toEqual(['1', '2', nodeId].sort());
  }, 120_000);

  test('three one-task jobs from the shard image, aligned on --start-at, merge into one passing report that matches nginx’s log', async () => {
    const url = origin?.streamUrl as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const startAtMs = Date.now() + START_AHEAD_MS;
    const startAt = new Date(startAtMs).toISOString();
    const names = Array.from({ length: SHARDS }, (_, index) => `hls-swarm-shard-${index}-${RUN_ID}`);
    const createdMs = Date.now();
    for (const [index, name] of names.entries()) {
      await createJob(name, [
        '--replicas',
        '1',
        '--network',
        'host',
        '--mount',
        `type=bind,source=${reportsDir},target=/reports`,
        '--env',
        `HLS_SWARM_SHARD=${index}/${SHARDS}`,
        image,
        'run',
        url,
        '--clients',
        String(CLIENTS),
        '--ramp-rate',
        String(RAMP_RATE),
        '--duration',
        `${DURATION_S}s`,
        '--start-at',
        startAt,
        '--metrics',
        '0',
        '--report',
        `/reports/run.shard-${index}-of-${SHARDS}.json`,
      ]);
    }
    timings.servicesCreatedMs = Date.now() - createdMs;
    const tasks = await waitForJobs(names, START_AHEAD_MS + DURATION_S * 1000 + 90_000);
    timings.jobsDoneAfterStartMs = Date.now() - startAtMs;
    const containerIds = [...tasks.values()].flat().map((task) => task.containerId);
    const finishedAt = lines(
      await docker(['inspect', '--type', 'container', '--format', '{{.State.FinishedAt}}', ...containerIds]),
    ).map((time) => Date.parse(time));
    // Measured: the shards' runs end at ~+17 s but their containers exit at ~+33 s (the CLI process
    // lingers ~16 s after printing its last line), so the job takes ~35 s after the start time.
    timings.lastContainerExitAfterStartMs = Math.max(...finishedAt) - startAtMs;
    for (const name of names) {
      const list = tasks.get(name) ?? [];
      const logs = await run('docker', ['service', 'logs', '--raw', name]);
      expect(
        list.map((task) => [task.state, task.exitCode]),
        `${name}: ${list.map((task) => task.error).join('; ')}\n${logs.stdout.slice(-3000)}${logs.stderr.slice(-3000)}`,
      ).toEqual([['complete', 0]]);
    }

    const files = (await readdir(reportsDir)).filter((file) => file.endsWith('.json')).sort();
    expect(files).toEqual([0, 1, 2].map((index) => `run.shard-${index}-of-${SHARDS}.json`));
    const shardReports: { path: string; report: HtmlReport }[] = await Promise.all(
      files.map(async (file) => ({
        path: join(reportsDir, file),
        report: await readReportFile(join(reportsDir, file)),
      })),
    );

    // nginx's access log, viewers only (user agent hls-swarm/<version>/client-<id>).
    const log = parseAccessLog(readFileSync(origin?.accessLog as string, 'utf8'), Date.now())
      .map((entry) => ({ ...entry, client: /\/client-(\d+)$/.exec(entry.userAgent ?? '')?.[1] }))
      .filter((entry) => entry.client !== undefined)
      .map((entry) => ({ ...entry, id: Number(entry.client) }));
    expect([...new Set(log.map((entry) => entry.id))].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);

    const startedAt: number[] = [];
    for (const [index, { report }] of shardReports.entries()) {
      expect(reportSchema.safeParse(report).success).toBe(true);
      expect(report.shard).toMatchObject({
        index,
        count: SHARDS,
        viewers: `id % ${SHARDS} == ${index}`,
        plannedClients: CLIENTS / SHARDS,
      });
      expect(report.swarm?.clientsStarted).toBe(CLIENTS / SHARDS);
      // Shard i ran exactly the viewers i mod 3: its counts are nginx's for those ids.
      const mine = log.filter((entry) => entry.id % SHARDS === index);
      expect(report.swarm?.requests.segment.total).toBe(mine.filter((e) => e.kind === 'segment').length);
      expect(report.swarm?.requests.manifest.total).toBe(mine.filter((e) => e.kind === 'manifest').length);
      const late = report.shard?.startLateMs;
      expect(late).toBeGreaterThanOrEqual(0);
      startedAt.push(late as number);
    }
    timings.maxStartLateMs = Math.max(...startedAt);
    // When the last shard's run ended (its report's timeline) vs when swarm said its task completed.
    timings.lastShardEndAfterStartMs =
      Math.max(...shardReports.map(({ report }) => report.timeline.endMs)) - startAtMs;

    const merged = mergeShardReports(shardReports);
    expect(merged.verdict, merged.reason).toBe('pass');
    expect(merged.shards).toMatchObject({ count: SHARDS, missing: [], allowMissing: false });
    expect(merged.shards?.merged.map((entry) => entry.index)).toEqual([0, 1, 2]);
    expect(merged.swarm?.clientsStarted).toBe(CLIENTS);
    expect(merged.swarm?.requests.segment.total).toBe(log.filter((e) => e.kind === 'segment').length);
    expect(merged.swarm?.requests.manifest.total).toBe(log.filter((e) => e.kind === 'manifest').length);
    expect(merged.swarm?.requests.segment.total).toBeGreaterThan(0);
    timings.startSpreadMs = merged.shards?.startSpreadMs ?? -1;

    // The image merges too (what a merge job of the same swarm would run).
    const cliMerge = await run(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--label',
        `${TEST_LABEL}=${RUN_ID}`,
        '-v',
        `${reportsDir}:/reports`,
        image,
        'merge',
        '/reports',
        '--out',
        '/reports/merged/run.json',
      ],
      120_000,
    );
    expect(cliMerge.exitCode, cliMerge.stderr).toBe(0);
    expect(cliMerge.stdout).toContain(`merged 3 of 3 shards`);
    const fromImage = await readReportFile(join(reportsDir, 'merged', 'run.json'));
    expect(fromImage.verdict).toBe('pass');
    expect(fromImage.swarm?.requests.segment.total).toBe(merged.swarm?.requests.segment.total);
  }, 240_000);
});
