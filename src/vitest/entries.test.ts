import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForOutput } from '../system/index.js';
import * as configEntry from './config.js';
import { hlsSwarm as deprecatedHlsSwarm, PLUGIN_IMPORT_DEPRECATION } from './deprecated.js';

/*
 * The two entries: `hls-swarm/vitest/config` (vitest.config.ts, main process) must not load the
 * engine or the worker runtime; `hls-swarm/vitest` (test files) keeps the old plugin import
 * working with one deprecation warning.
 */

const SRC = fileURLToPath(new URL('../', import.meta.url));
/** Folders the config entry must not load: the engine, and the worker runtime (expect.extend). */
const NOT_FOR_CONFIG = ['swarm', 'origin', 'metrics', 'slo', 'runner', 'vitest/runtime'].map(
  (folder) => `${pathToFileURL(join(SRC, folder)).href}/`,
);

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'hls-swarm-entries-'));
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

/** Every module URL under src/ that importing `entry` loads, in a fresh Node process (tsx for TypeScript). */
async function modulesLoadedBy(entry: string, name: string): Promise<string[]> {
  const logPath = join(workDir, `${name}.log`);
  const hookPath = join(workDir, `${name}-hook.mjs`);
  const registerPath = join(workDir, `${name}-register.mjs`);
  await writeFile(
    hookPath,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith(${JSON.stringify(pathToFileURL(SRC).href)})) appendFileSync(${JSON.stringify(logPath)}, result.url + '\\n');
  return result;
}
`,
  );
  await writeFile(
    registerPath,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hookPath).href)});\n`,
  );
  await writeFile(logPath, '');
  const output = await runForOutput(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      registerPath,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(join(SRC, entry)).href)}); console.log('imported');`,
    ],
    60_000,
  );
  expect(output, `importing ${entry}`).toContain('imported');
  return (await readFile(logPath, 'utf8')).split('\n').filter(Boolean);
}

describe('hls-swarm/vitest/config', () => {
  it('exports the plugin and the reporter', () => {
    expect(Object.keys(configEntry).sort()).toEqual(['HlsSwarmReporter', 'PROGRESS_PREFIX', 'hlsSwarm']);
    expect(configEntry.hlsSwarm().name).toBe('hls-swarm');
  });

  it('loads neither the engine nor the worker runtime (a fresh process, every module recorded)', async () => {
    const loaded = await modulesLoadedBy('vitest/config.ts', 'config');
    expect(loaded.some((url) => url.endsWith('/src/vitest/node/plugin.ts'))).toBe(true);
    expect(loaded.filter((url) => NOT_FOR_CONFIG.some((folder) => url.startsWith(folder)))).toEqual([]);
    // The same recording sees the engine when an entry does load it: the check can fail.
    const library = await modulesLoadedBy('index.ts', 'library');
    expect(library.some((url) => url.startsWith(NOT_FOR_CONFIG[0] as string))).toBe(true);
  }, 120_000);
});

describe('hls-swarm/vitest (the old plugin import)', () => {
  it('still returns the plugin, with one deprecation warning per process', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => {
      if ((warning as { code?: string }).code === PLUGIN_IMPORT_DEPRECATION) warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const first = deprecatedHlsSwarm({ project: 'load' });
      const second = deprecatedHlsSwarm();
      await new Promise((resolve) => setTimeout(resolve, 0)); // warnings are emitted on a later tick
      expect(first.name).toBe('hls-swarm');
      expect(second.name).toBe('hls-swarm');
      expect(typeof first.config).toBe('function');
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.name).toBe('DeprecationWarning');
    expect(warnings[0]?.message).toContain("'hls-swarm/vitest/config'");
  });

  it('is what hls-swarm/vitest exports as hlsSwarm', async () => {
    const runtimeEntry = await import('./index.js');
    expect(runtimeEntry.hlsSwarm).toBe(deprecatedHlsSwarm);
    expect(runtimeEntry.HlsSwarmReporter).toBe(configEntry.HlsSwarmReporter);
  }, 60_000); // loads the whole runtime and engine: slow on a busy 2-core machine
});
