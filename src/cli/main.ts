#!/usr/bin/env node
/*
 * The `hls-swarm` command. Each subcommand is a module in ./commands/<name>.ts exporting
 * `run(argv): Promise<number>` (the exit code) and `usage` (one paragraph). Exit codes:
 * 0 done, 1 the run or check failed, 2 usage or configuration error, 3 inconclusive (`run
 * --report`: the load generator was saturated).
 */
import { redactText } from '../system/index.js';
import { isUserFacingError, UsageError } from './errors.js';

const COMMANDS: Record<string, string> = {
  calibrate: 'Measure how many viewers this host can drive (cached; scenarios are checked against it)',
  doctor: 'Check what this machine has for each origin kind (--fix installs what is missing)',
  run: 'Run a swarm of ffmpeg viewers against a stream URL',
  origin: 'Start an origin (python, nginx, vm, container) until Ctrl-C',
  compare: 'Compare a run with a baseline report; exit 1 on a regression beyond the bound',
  report: 'Render a JSON report as a self-contained HTML page (report html <report.json>)',
  merge: 'Merge shard reports (--shard i/N runs) into one report and one verdict',
  'prometheus-config':
    "Write a Prometheus config that scrapes every shard's /metrics and the origin's exporters",
};

interface CommandModule {
  run(argv: string[]): Promise<number>;
  usage: string;
}

function printHelp(): void {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(width)} ${what}`);
  process.stdout.write(
    `Usage: hls-swarm <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'hls-swarm <command> --help' for its options.\n`,
  );
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { TOOL_VERSION } = await import('../version.js');
    process.stdout.write(`${TOOL_VERSION}\n`);
    return 0;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(`hls-swarm: unknown command '${name}'.\n`);
    printHelp();
    return 2;
  }
  const command = (await import(`./commands/${name}.js`)) as CommandModule;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const parseArgsError =
      typeof (error as { code?: unknown })?.code === 'string' &&
      (error as { code: string }).code.startsWith('ERR_PARSE_ARGS');
    if (error instanceof UsageError || parseArgsError) {
      process.stderr.write(
        `hls-swarm ${name}: ${redactText((error as Error).message)}\n\n${command.usage}\n`,
      );
      return 2;
    }
    if (isUserFacingError(error)) {
      process.stderr.write(`hls-swarm ${name}: ${redactText(error.message)}\n`);
      return error.code === 'HLS_SWARM_CONFIG' ? 2 : 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `hls-swarm: internal error: ${redactText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    process.exitCode = 1;
  },
);
