import { describe, expect, test } from 'vitest';
import { hlsSwarm } from './node/plugin.js';
import { HlsSwarmReporter } from './node/reporter.js';

type Config = { root?: string; test?: Record<string, unknown> };

function applyConfigHook(config: Config, options?: Parameters<typeof hlsSwarm>[0]): Config {
  const plugin = hlsSwarm(options);
  const hook = plugin.config as unknown as (config: Config, env: unknown) => void;
  hook(config, { command: 'serve', mode: 'test' });
  return config;
}

function testOf(config: Config): Record<string, unknown> {
  if (!config.test) throw new Error('the hook left no test config');
  return config.test;
}

const projectNames = (config: Config) =>
  (testOf(config).projects as Array<{ test: { name: string } }>).map((project) => project.test.name);

describe('hlsSwarm() config hook', () => {
  test('adds the load project after the existing projects, with long timeouts and one file at a time', () => {
    const config = applyConfigHook({
      root: '/repo',
      test: { projects: [{ extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } }] },
    });
    expect(projectNames(config)).toEqual(['unit', 'load']);
    const load = (testOf(config).projects as Array<{ extends: boolean; test: Record<string, unknown> }>)[1];
    expect(load).toMatchObject({
      extends: true,
      test: {
        name: 'load',
        include: ['scenarios/**/*.load.ts'],
        fileParallelism: false,
        testTimeout: 900_000,
        hookTimeout: 300_000,
        provide: { hlsSwarm: { reportDir: '/repo/reports', root: '/repo', progress: true } },
      },
    });
  });

  test('without projects the existing tests stay a project of their own, minus the scenarios', () => {
    const config = applyConfigHook(
      { root: '/repo', test: {} },
      { reportDir: '/tmp/r', include: ['load/*.ts'] },
    );
    expect(projectNames(config)).toEqual(['unit', 'load']);
    const unit = (testOf(config).projects as Array<{ test: { exclude: string[] } }>)[0];
    expect(unit?.test.exclude).toContain('load/*.ts');
  });

  test('replaces a load project declared by hand and keeps the user reporters, adding its own', () => {
    const config = applyConfigHook({
      root: '/repo',
      test: { projects: [{ test: { name: 'load', include: ['x'] } }], reporters: ['dot'] },
    });
    expect(projectNames(config)).toEqual(['load']);
    const reporters = testOf(config).reporters as unknown[];
    expect(reporters[0]).toBe('dot');
    expect(reporters.at(-1)).toBeInstanceOf(HlsSwarmReporter);
  });

  test('inside a project (inherited through extends) it changes nothing', () => {
    const config: Config = { test: { name: 'load', include: ['x'] } };
    applyConfigHook(config);
    expect(config).toEqual({ test: { name: 'load', include: ['x'] } });
  });

  test('progress lines are left to its reporter once that reporter runs', () => {
    const config = applyConfigHook({ root: '/repo', test: {} });
    const onConsoleLog = testOf(config).onConsoleLog as (log: string, type: string) => boolean | undefined;
    const reporter = (testOf(config).reporters as unknown[]).at(-1) as HlsSwarmReporter;
    // onInit also takes SIGINT/SIGTERM over until Vitest closes: close it at the end.
    const sigtermListeners = process.listenerCount('SIGTERM');
    const onClose: Array<() => void> = [];
    reporter.onInit({ logger: { log: () => {} }, onClose: (fn: () => void) => onClose.push(fn) } as never);
    expect(onConsoleLog('[hls-swarm] smoke 5s/20s ...', 'stdout')).toBe(false);
    expect(onConsoleLog('something else', 'stdout')).toBeUndefined();
    for (const close of onClose) close();
    expect(process.listenerCount('SIGTERM')).toBe(sigtermListeners);
  });
});
