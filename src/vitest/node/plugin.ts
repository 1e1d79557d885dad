import { isAbsolute, resolve } from 'node:path';
import type { Vite } from 'vitest/node';
import { PROGRESS_PREFIX } from '../shared.js';
import { HlsSwarmReporter, reporterIsActive } from './reporter.js';

/*
 * `hlsSwarm()` for vitest.config.ts: a Vite plugin whose `config` hook adds the `load`
 * project (scenarios/**\/*.load.ts, long timeouts, one file at a time) and the hls-swarm
 * reporter (progress lines, console summary, reports/summary.json) to the root config.
 * It uses the `config` hook rather than `configureVitest`, because that hook only runs for
 * projects that survived `--project` filtering: `vitest --project load` must find the project.
 */

export interface HlsSwarmPluginOptions {
  /** Name of the project; default 'load'. */
  project?: string;
  /** Scenario files; default ['scenarios/**\/*.load.ts']. */
  include?: string[];
  /** Where reports go, relative to the root; default 'reports'. */
  reportDir?: string;
  /** Per-test timeout in ms (scenario() sets its own from the scenario); default 15 min. */
  testTimeout?: number;
  /** Hook timeout in ms (origin fixtures boot in hooks); default 5 min. */
  hookTimeout?: number;
  /** Run scenario files in parallel; default false (a 2-core runner cannot hold two swarms). */
  fileParallelism?: boolean;
  /**
   * After SIGINT/SIGTERM to the vitest process, the longest wait in ms for the running
   * scenarios to stop and write their `interrupted` reports before exiting; default 60 s.
   */
  interruptGrace?: number;
  /** Live progress lines; default true. */
  progress?: boolean;
  /**
   * Vitest runs projects in parallel unless their `sequence.groupOrder` differs. Load scenarios
   * must not share the machine with other tests (they would measure them), so the load project
   * runs in a group of its own after the others; default 100.
   */
  groupOrder?: number;
  /**
   * When the config has no `test.projects`, the plugin must declare one for the existing
   * tests too (a config with projects runs only its projects); its name. Default 'unit'.
   */
  defaultProject?: string;
}

interface ProjectLike {
  extends?: unknown;
  test?: { name?: unknown; include?: unknown; exclude?: unknown };
}

interface TestConfigLike {
  name?: unknown;
  root?: string;
  projects?: unknown[];
  reporters?: unknown;
  onConsoleLog?: (log: string, type: 'stdout' | 'stderr', entity?: unknown) => boolean | undefined;
  exclude?: string[];
}

const DEFAULT_INCLUDE = ['scenarios/**/*.load.ts'];
const DEFAULT_EXCLUDE = ['**/node_modules/**', '**/.git/**'];

function projectName(project: unknown): string | undefined {
  if (project && typeof project === 'object') {
    const name = (project as ProjectLike).test?.name;
    if (typeof name === 'string') return name;
    if (name && typeof name === 'object' && 'label' in name)
      return String((name as { label: unknown }).label);
  }
  return undefined;
}

export function hlsSwarm(options: HlsSwarmPluginOptions = {}): Vite.Plugin {
  const name = options.project ?? 'load';
  const include = options.include ?? DEFAULT_INCLUDE;
  return {
    name: 'hls-swarm',
    config(config) {
      const viteConfig = config as { root?: string; test?: TestConfigLike };
      const test: TestConfigLike = viteConfig.test ?? {};
      // Projects that `extends: true` inherit this plugin: only the root config is changed.
      if (test.name !== undefined) return;
      viteConfig.test = test;
      const root = resolve(viteConfig.root ?? test.root ?? process.cwd());
      const reportDir = options.reportDir ?? 'reports';
      const reportDirAbsolute = isAbsolute(reportDir) ? reportDir : resolve(root, reportDir);

      const projects = Array.isArray(test.projects) ? [...test.projects] : undefined;
      const loadProject = {
        extends: true,
        test: {
          name,
          include,
          exclude: DEFAULT_EXCLUDE,
          fileParallelism: options.fileParallelism ?? false,
          sequence: { groupOrder: options.groupOrder ?? 100 },
          testTimeout: options.testTimeout ?? 900_000,
          hookTimeout: options.hookTimeout ?? 300_000,
          provide: {
            hlsSwarm: { reportDir: reportDirAbsolute, root, progress: options.progress ?? true },
          },
        },
      };
      if (projects) {
        const existing = projects.findIndex((project) => projectName(project) === name);
        if (existing >= 0) projects[existing] = loadProject;
        else projects.push(loadProject);
        test.projects = projects;
      } else {
        // Without projects the root config was the one project; keep its tests as a project.
        test.projects = [
          {
            extends: true,
            test: {
              name: options.defaultProject ?? 'unit',
              exclude: [...(test.exclude ?? DEFAULT_EXCLUDE), ...include],
            },
          },
          loadProject,
        ];
      }

      const reporter = new HlsSwarmReporter({
        reportDir: reportDirAbsolute,
        root,
        project: name,
        ...(options.interruptGrace !== undefined ? { interruptGraceMs: options.interruptGrace } : {}),
      });
      const reporters =
        test.reporters === undefined
          ? ['default']
          : Array.isArray(test.reporters)
            ? [...test.reporters]
            : [test.reporters];
      if (test.reporters === undefined && process.env.GITHUB_ACTIONS === 'true')
        reporters.push('github-actions');
      reporters.push(reporter);
      test.reporters = reporters;

      // Progress lines go through our reporter (plain, no per-line test header); the
      // default reporter prints them itself only when ours is not active (e.g. --reporter=dot).
      const userOnConsoleLog = test.onConsoleLog;
      test.onConsoleLog = (log, type, entity) => {
        if (reporterIsActive() && log.startsWith(PROGRESS_PREFIX)) return false;
        return userOnConsoleLog?.(log, type, entity);
      };
    },
  };
}
