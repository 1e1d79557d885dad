import { relative, resolve } from 'node:path';
import type { TestContext } from 'vitest';
import {
  ConfigError,
  type OriginSpecInput,
  type ScenarioInput,
  shardFromEnv,
  startAtFromEnv,
} from '../../config/index.js';
import type { RunningOrigin } from '../../origin/index.js';
import { fileStemOf, formatThresholdLine, type ProgressUpdate, slugify } from '../../report/index.js';
import {
  type RunResult,
  type RunScenarioOptions,
  runScenario,
  type ScenarioAction,
  suggestedTimeoutMs,
  validateScenario,
} from '../../runner/index.js';
import { isUserFacingError } from '../../system/index.js';
import { DASHBOARD_PREFIX, SIGNAL_CANCEL_PREFIX } from '../shared.js';
import { loadTest, providedOptions } from './fixtures.js';

/*
 * scenario(name, spec): one test that runs a whole declarative scenario. Validation happens
 * before anything starts (a config error starts no origin); each strict threshold is its own
 * soft assertion, so every breach is listed; a report is written whatever happens, including
 * a timeout (the report then says `interrupted`).
 */

/** A scenario as written in a test file: `name` comes from the test; `origin` defaults to the file's. */
export type ScenarioSpec = Omit<ScenarioInput, 'name' | 'origin'> & {
  name?: string;
  /** Omit to use the file's `origin` fixture (set with loadTest.override({ originSpec })). */
  origin?: OriginSpecInput;
};

/** The parts of the test context a check gets. */
export type ScenarioCheckContext = Pick<
  TestContext,
  'task' | 'signal' | 'expect' | 'annotate' | 'onTestFinished' | 'onTestFailed'
>;

export type ScenarioCheck = (run: RunResult, context: ScenarioCheckContext) => unknown;

export interface ScenarioTestOptions {
  /** Test timeout in ms; default: origin ready timeout + planned swarm time + stop grace + 60 s. */
  timeout?: number;
  /** Things to do during the swarm (e.g. stop the origin at '20s' to test detection). */
  actions?: ScenarioAction[];
  /** Extra assertions on the finished run (e.g. that a non-strict threshold failed). */
  check?: ScenarioCheck;
}

function fullTestName(task: TestContext['task']): string {
  return task.fullTestName ?? task.name;
}

/** Strips the stack of errors written for users (config, port, binary): the message says it all. */
function forUser(error: Error): Error {
  if (isUserFacingError(error)) {
    error.stack = `${error.name}: ${error.message}`;
  }
  return error;
}

/*
 * Ctrl-C / SIGTERM to the process group: the worker gets the signal too. While a scenario
 * runs, the worker holds the signal and interrupts the run (viewers and origin stop, the
 * report is written with verdict `interrupted`). If the main process is still there (the
 * plugin's reporter cancels the run and waits: node/interrupt.ts), the test then ends as
 * usual; if it is gone (Vitest without our reporter exits at once), the worker dies of the
 * same signal. A second signal kills it at once; the system watchdog reaps every owned process.
 */
const interruptions = new Set<AbortController>();
const pendingRuns = new Set<Promise<unknown>>();
let signalled = false;

function onInterruptSignal(signal: NodeJS.Signals): void {
  if (signalled || interruptions.size === 0) {
    uninstallSignalHandlers();
    process.kill(process.pid, signal);
    return;
  }
  signalled = true;
  const reason = new Error(signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : signal);
  for (const controller of interruptions) controller.abort(reason);
  void Promise.allSettled([...pendingRuns]).then(() => {
    uninstallSignalHandlers();
    if (process.connected) {
      signalled = false;
      return;
    }
    process.kill(process.pid, signal);
  });
}

let installed = false;
function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onInterruptSignal);
  process.on('SIGTERM', onInterruptSignal);
}

function uninstallSignalHandlers(): void {
  if (!installed) return;
  installed = false;
  process.off('SIGINT', onInterruptSignal);
  process.off('SIGTERM', onInterruptSignal);
}

/** A run cancelled by the main process on a signal says which signal; other reasons stay. */
function interruptionReason(reason: unknown): unknown {
  const cancel = (reason as { reason?: unknown } | undefined)?.reason;
  if (typeof cancel === 'string' && cancel.startsWith(SIGNAL_CANCEL_PREFIX))
    return new Error(`${cancel.slice(SIGNAL_CANCEL_PREFIX.length)} sent to the vitest process`);
  return reason;
}

function defaultTimeoutMs(name: string, spec: ScenarioSpec, fallbackOrigin: OriginSpecInput): number {
  try {
    return suggestedTimeoutMs(
      validateScenario({ ...spec, name: spec.name ?? name, origin: spec.origin ?? fallbackOrigin }),
    );
  } catch {
    return 60_000; // the test will fail at once with the config error
  }
}

async function runScenarioTest(
  name: string,
  spec: ScenarioSpec,
  options: ScenarioTestOptions,
  context: ScenarioCheckContext,
  fileOrigin: { origin: RunningOrigin; spec: OriginSpecInput } | undefined,
): Promise<void> {
  const { task, signal, onTestFinished, expect } = context;
  const provided = providedOptions();
  const testName = fullTestName(task);
  const filePath = task.file.filepath;
  const input: ScenarioInput = {
    ...spec,
    name: spec.name ?? name,
    origin: (spec.origin ?? fileOrigin?.spec) as OriginSpecInput,
  };
  // HLS_SWARM_SHARD=i/N (or a Kubernetes Indexed Job's index): this worker runs one shard.
  const shard = shardFromEnv();
  const startAtMs = startAtFromEnv();
  if (shard && shard.count > 1 && input.origin?.kind !== 'external')
    throw forUser(
      new ConfigError(
        [
          `origin.kind: with HLS_SWARM_SHARD=${shard.index}/${shard.count} every shard must load one shared origin: kind 'external' with its url (got '${input.origin?.kind ?? 'the file origin'}')`,
        ],
        name,
      ),
    );
  const interruption = new AbortController();
  // Vitest aborts the test's signal on a timeout, or when the run is cancelled.
  const onTestAbort = () => interruption.abort(interruptionReason(signal.reason));
  if (signal.aborted) onTestAbort();
  else signal.addEventListener('abort', onTestAbort, { once: true });
  const runOptions: RunScenarioOptions = {
    signal: interruption.signal,
    // The plugin's report folder, unless the scenario names its own (relative to the root).
    reportDir: spec.report?.dir ? resolve(provided.root, spec.report.dir) : provided.reportDir,
    testPath: { fileStem: fileStemOf(filePath), testSlug: slugify(testName) },
    source: { file: relative(provided.root, filePath), test: testName },
    // After a signal the main process may be gone: logging through it would fail.
    ...(provided.progress ? { log: (line: string) => signalled || console.log(line) } : {}),
    // The reporter's live dashboard: progress as data, not as a line.
    ...(provided.dashboard
      ? {
          onProgress: (update: ProgressUpdate) =>
            signalled || console.log(`${DASHBOARD_PREFIX}${JSON.stringify(update)}`),
          logProgress: false,
        }
      : {}),
    ...(fileOrigin && !spec.origin ? { origin: fileOrigin.origin } : {}),
    ...(options.actions ? { actions: options.actions } : {}),
    ...(shard ? { shard } : {}),
    ...(startAtMs !== undefined ? { startAtMs } : {}),
    // A shard scraped by a Prometheus on another host: HLS_SWARM_METRICS_HOST=0.0.0.0 (or an address).
    ...(process.env.HLS_SWARM_METRICS_HOST ? { metricsHost: process.env.HLS_SWARM_METRICS_HOST } : {}),
  };
  installSignalHandlers();
  interruptions.add(interruption);
  const pending = runScenario(input, runOptions);
  pendingRuns.add(pending);
  void pending
    .catch(() => undefined)
    .finally(() => {
      pendingRuns.delete(pending);
      interruptions.delete(interruption);
      if (interruptions.size === 0 && !signalled) uninstallSignalHandlers();
    });
  const remember = (run: RunResult) => {
    (task.meta as Record<string, unknown>).hlsSwarm = {
      scenario: input.name,
      reportPath: run.reportPath,
      verdict: run.verdict,
    };
  };
  // On a timeout vitest moves on without awaiting the test body: waiting here keeps the
  // worker alive until the swarm and origin are stopped and the report is written.
  onTestFinished(async () => {
    try {
      remember(await pending);
    } catch {}
  });

  let run: RunResult;
  try {
    run = await pending;
  } catch (error) {
    throw forUser(error instanceof Error ? error : new Error(String(error)));
  }
  remember(run);
  if (signal.aborted) return; // vitest reports the timeout or cancellation itself

  if (run.verdict === 'error') throw forUser(run.error ?? new Error(run.report.reason ?? 'the run failed'));
  if (run.verdict === 'interrupted') throw new Error(run.report.reason ?? 'the run was interrupted');
  // A shard does not gate: its report is one part of the run; `hls-swarm merge` judges the whole.
  if (shard) return;
  if (run.verdict === 'inconclusive')
    throw new Error(`inconclusive: ${run.report.reason ?? 'the load generator was saturated'}`);
  for (const result of run.thresholds) {
    if (result.strict) expect.soft(result.ok, formatThresholdLine(result)).toBe(true);
  }
  if (options.check) await options.check(run, context);
}

/**
 * Declares a test that runs the scenario `spec` end to end. `checkOrOptions` is either a
 * function for extra assertions on the run or { timeout, actions, check }.
 */
export function scenario(
  name: string,
  spec: ScenarioSpec,
  checkOrOptions?: ScenarioCheck | ScenarioTestOptions,
): void {
  const options: ScenarioTestOptions =
    typeof checkOrOptions === 'function' ? { check: checkOrOptions } : (checkOrOptions ?? {});
  if (spec.origin) {
    const timeout = options.timeout ?? defaultTimeoutMs(name, spec, spec.origin);
    // Vitest reads the destructured names to decide which fixtures to set up: no `origin` here.
    loadTest(name, { timeout }, async ({ task, signal, expect, annotate, onTestFinished, onTestFailed }) => {
      const context = { task, signal, expect, annotate, onTestFinished, onTestFailed };
      await runScenarioTest(name, spec, options, context, undefined);
    });
  } else {
    // The file's origin boots once, within the first test that uses it; its kind is only known
    // at run time, so the timeout allows for the slowest default boot (vm: 180 s).
    const timeout = options.timeout ?? defaultTimeoutMs(name, spec, { kind: 'vm' });
    loadTest(
      name,
      { timeout },
      async ({ origin, originSpec, task, signal, expect, annotate, onTestFinished, onTestFailed }) => {
        const context = { task, signal, expect, annotate, onTestFinished, onTestFailed };
        await runScenarioTest(name, spec, options, context, { origin, spec: originSpec });
      },
    );
  }
}
