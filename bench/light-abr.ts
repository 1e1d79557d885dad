// Light viewers on a throttled link (NOT a test): the behaviour truth of issue #18 and the timing
// accuracy where transfers take long. In a network namespace of its own, the `abr` origin
// (480p ~1.4, 360p ~1.0, 240p ~0.5 Mbit/s) behind tbf on the namespace's loopback:
//   1. `hls-swarm run --light V --variant abr`, then `--variant highest`, each for T seconds:
//      the reports' QoE (rebuffering, variant bitrate, switches) — abr should settle on a variant
//      that fits the per-viewer share of the link and not rebuffer; highest should rebuffer.
//   2. bench/light.ts against the same origin, one viewer alone on the link (highest): each
//      segment's download time vs its wire time (bytes × 8 ÷ link rate) and vs nginx's
//      $request_time, which ends when nginx hands the last byte to the kernel (short by what the
//      socket buffer and the qdisc still hold; BENCHMARKS.md, the relay's throttled bench).
//
//   node --import tsx bench/light-abr.ts [--viewers 2] [--seconds 60] [--link-kbit 2300]
//        [--out reports/bench-light-abr.json]
//
// Needs root (ip netns, tc). Loads nothing outside the namespace it makes, and removes it.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Report, reportSchema } from '../src/report/index.js';
import { type OwnedProcess, spawnOwned } from '../src/system/index.js';
import { cliInNamespace, ip, originInNamespace, pidsIn } from '../src/system/test/netns.js';
import { positiveNumberFlag, runBench } from './cli.js';
import { log, machine, sleep } from './swarm/proc.js';

const USAGE = `Light viewers on a tbf-throttled link (not a test; needs root).

  node --import tsx bench/light-abr.ts [--viewers 2] [--seconds 60] [--link-kbit 2300]
       [--out reports/bench-light-abr.json]
`;

function options() {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean' },
      viewers: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '60' },
      'link-kbit': { type: 'string', default: '2300' },
      out: { type: 'string', default: 'reports/bench-light-abr.json' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const number = (name: 'viewers' | 'seconds' | 'link-kbit') => positiveNumberFlag(values, name, USAGE);
  return {
    viewers: Math.round(number('viewers')),
    seconds: number('seconds'),
    linkKbit: number('link-kbit'),
    out: values.out as string,
  };
}

async function finished(run: OwnedProcess, what: string, okCodes = [0, 1]): Promise<string> {
  let stderr = '';
  run.subprocess.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const result = await run.subprocess;
  if (!okCodes.includes(result.exitCode ?? -1))
    throw new Error(`${what} exited ${result.exitCode}:\n${stderr.slice(-3000)}`);
  return String(result.stdout);
}

/** What a run's report says about the light viewers' playback. */
function playbackOf(report: Report) {
  const swarm = report.swarm;
  return {
    verdict: report.verdict,
    qoe: swarm?.qoe,
    light: swarm?.viewerKinds?.light,
  };
}

async function main(): Promise<void> {
  const opts = options();
  const ns = `hs-abr-${process.pid % 100_000}`;
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-bench-abr-'));
  log(`machine: ${JSON.stringify(machine())}`);
  ip('netns', 'add', ns);
  let origin: OwnedProcess | undefined;
  try {
    // An Ethernet-sized MTU so tbf shapes with a small burst (the loopback default is 64 KiB).
    ip('-n', ns, 'link', 'set', 'lo', 'mtu', '1500');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    execFileSync('ip', [
      ...['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf'],
      ...['rate', `${opts.linkKbit}kbit`, 'burst', '16kb', 'limit', '64kb'],
    ]);
    const started = await originInNamespace(
      ns,
      [...['--kind', 'nginx', '--profile', 'abr', '--port', '8080', '--no-exporters']],
      // Three runs of --seconds each, plus their start-ups.
      (3 * opts.seconds + 300) * 1000,
    );
    origin = started.origin;
    const url = 'http://127.0.0.1:8080/master.m3u8';
    log(`origin in ${ns} behind tbf ${opts.linkKbit} kbit/s: ${url}`);

    const runs: Record<string, ReturnType<typeof playbackOf>> = {};
    for (const variant of ['abr', 'highest']) {
      const reportPath = join(dir, `${variant}.json`);
      const run = cliInNamespace(
        ns,
        [
          ...['run', url, '--clients', String(opts.viewers), '--light', String(opts.viewers)],
          ...['--variant', variant, '--ramp-rate', String(opts.viewers), '--duration', `${opts.seconds}s`],
          ...['--metrics', '0', '--report', reportPath],
        ],
        (opts.seconds + 120) * 1000,
      );
      const stdout = await finished(run, `hls-swarm run --variant ${variant}`);
      process.stdout.write(`\n--- --variant ${variant}\n${stdout.split('\n').slice(-16).join('\n')}\n`);
      runs[variant] = playbackOf(reportSchema.parse(JSON.parse(readFileSync(reportPath, 'utf8'))));
    }

    // Download time vs $request_time, where a segment takes a second or more to arrive.
    const benchOut = join(dir, 'light.json');
    const light = spawnOwned(
      'ip',
      [
        ...['netns', 'exec', ns, process.execPath, '--import', 'tsx'],
        fileURLToPath(new URL('./light.ts', import.meta.url)),
        // One viewer alone on the link, so each segment's wire time is bytes × 8 ÷ the link rate.
        ...['--url', url, '--access-log', started.accessLog, '--variant', 'highest'],
        ...['--viewers', '1', '--ramp-rate', '1', '--link-kbit', String(opts.linkKbit)],
        ...['--seconds', String(opts.seconds), '--warmup', '10', '--out', benchOut],
      ],
      { stdout: 'pipe', stderr: 'pipe', timeout: (opts.seconds + 120) * 1000 },
    );
    await finished(light, 'bench/light.ts', [0]);
    const lightResults = JSON.parse(readFileSync(benchOut, 'utf8'));
    log(`accuracy on the throttled link: ${JSON.stringify(lightResults.accuracy)}`);
    log(`steady: ${JSON.stringify(lightResults.steady)}`);

    const results = {
      startedAt: new Date().toISOString(),
      options: opts,
      runs,
      accuracy: lightResults.accuracy,
      lightBenchSteady: lightResults.steady,
    };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${opts.out}`);
    for (const [variant, run] of Object.entries(runs))
      log(
        `${variant}: verdict ${run.verdict}, rebuffer ratio ${run.qoe?.rebufferRatio}, stalls ${run.qoe?.rebufferEvents}, ` +
          `switches ${run.qoe?.variantSwitches}, light ${JSON.stringify(run.light?.qoe ?? run.light)}`,
      );
  } finally {
    await origin?.stop(10_000);
    for (let i = 0; i < 50 && pidsIn(ns).length > 0; i++) await sleep(200);
    const left = pidsIn(ns);
    ip('netns', 'del', ns);
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) log(`PROCESSES LEFT in ${ns} (netns deleted anyway): ${left.join(', ')}`);
  }
}

runBench(main);
