import { test as baseTest, inject, type TestAPI } from 'vitest';
import {
  type OriginSpecInput,
  originSchema,
  parseWith,
  type SwarmSpecInput,
  swarmSchema,
} from '../../config/index.js';
import { MetricsSampler } from '../../metrics/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { type SwarmHandle, startSwarm } from '../../swarm/index.js';
import type { HlsSwarmProvided } from '../shared.js';

/*
 * Worker side: fixtures for load tests.
 *  - originSpec (file scope, an option): which origin this file's `origin` boots;
 *    set per file with `loadTest.override({ originSpec: { kind: 'nginx', port: 0 } })`.
 *  - origin (file scope): the running origin, booted once per file, stopped after it.
 *  - metrics (test scope): a MetricsSampler over the origin's exporters (and the first swarm).
 *  - swarm (test scope): `swarm.start(spec)` starts viewers against the origin; all are
 *    stopped when the test ends, timeout or not.
 * `loadTest` is created on first use: vitest's test.extend needs a running test file, and a
 * vitest.config.ts that still imports the plugin from `hls-swarm/vitest` (deprecated; the
 * plugin is in `hls-swarm/vitest/config`) loads this module where there is none.
 */

export interface SwarmStarter {
  /** Starts viewers against the file's origin (swarm.metricsPort defaults to 0 here). */
  start(spec: SwarmSpecInput): Promise<SwarmHandle>;
  /** Swarms started in this test. */
  readonly started: readonly SwarmHandle[];
}

export interface LoadTestFixtures {
  originSpec: OriginSpecInput;
  origin: RunningOrigin;
  metrics: MetricsSampler;
  swarm: SwarmStarter;
}

export type LoadTestAPI = TestAPI<LoadTestFixtures>;

/** The origin a file gets unless it says otherwise: the python origin, tiny profile, a free port. */
export const DEFAULT_ORIGIN_SPEC: OriginSpecInput = { kind: 'python', profile: 'tiny', port: 0 };

export function providedOptions(): HlsSwarmProvided {
  let provided: HlsSwarmProvided | undefined;
  try {
    provided = inject('hlsSwarm');
  } catch {}
  return provided ?? { reportDir: `${process.cwd()}/reports`, root: process.cwd(), progress: true };
}

function createLoadTest(): LoadTestAPI {
  return baseTest.extend<LoadTestFixtures>({
    originSpec: [DEFAULT_ORIGIN_SPEC, { scope: 'file' }],
    origin: [
      async ({ originSpec }, use) => {
        const spec = parseWith(originSchema, originSpec, 'originSpec');
        const origin = await startOrigin(spec);
        try {
          await use(origin);
        } finally {
          await origin.stop();
        }
      },
      { scope: 'file' },
    ],
    metrics: async ({ origin }, use) => {
      const sampler = new MetricsSampler({ origin });
      sampler.start();
      try {
        await use(sampler);
      } finally {
        await sampler.stop();
      }
    },
    swarm: async ({ origin, metrics, signal }, use) => {
      const started: SwarmHandle[] = [];
      const starter: SwarmStarter = {
        started,
        async start(input) {
          const spec = parseWith(swarmSchema, { metricsPort: 0, ...input }, 'swarm');
          const handle = await startSwarm({ url: origin.streamUrl, spec, signal });
          if (started.length === 0) metrics.attachSwarm(handle);
          started.push(handle);
          return handle;
        },
      };
      try {
        await use(starter);
      } finally {
        await Promise.allSettled(started.map((handle) => handle.stop()));
      }
    },
  }) as LoadTestAPI;
}

let created: LoadTestAPI | undefined;
function realLoadTest(): LoadTestAPI {
  created ??= createLoadTest();
  return created;
}

/** `test` with the load-test fixtures (origin, metrics, swarm). */
export const loadTest: LoadTestAPI = new Proxy(function loadTest() {} as unknown as LoadTestAPI, {
  apply: (_target, thisArg, args) =>
    Reflect.apply(realLoadTest() as unknown as (...args: unknown[]) => unknown, thisArg, args),
  get: (_target, property) => Reflect.get(realLoadTest(), property, realLoadTest()),
  has: (_target, property) => Reflect.has(realLoadTest(), property),
});
