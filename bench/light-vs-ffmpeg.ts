// CPU per light viewer vs per ffmpeg viewer, on the same stream in one run (NOT a test): one
// swarm of F ffmpeg + L light viewers against native nginx (`tiny` profile), measured over a
// steady window after the ramp:
//  - ffmpeg viewers: the CPU seconds of their processes (/proc) ÷ F;
//  - light viewers: this Node process's CPU ÷ L. That is an upper bound: the Node process also
//    parses the ffmpeg viewers' logs and keeps the fleet's stats; with F ≪ L that share is small,
//    and the bench prints the Node CPU of an ffmpeg-only window of the same run for scale.
//
//   node --import tsx bench/light-vs-ffmpeg.ts [--ffmpeg 50] [--light 1000] [--seconds 30]
//        [--out reports/bench-light-vs-ffmpeg.json]

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { originSchema, swarmSchema } from '../src/config/index.js';
import { startOrigin } from '../src/origin/index.js';
import { startSwarm } from '../src/swarm/index.js';
import { positiveNumberFlag, runBench } from './cli.js';
import { cpuDelta, cpuSnapshot, groupMembers, log, machine, nodeCpuSeconds, sleep } from './swarm/proc.js';

const USAGE = `CPU per light viewer vs per ffmpeg viewer in one run (not a test).

  node --import tsx bench/light-vs-ffmpeg.ts [--ffmpeg 50] [--light 1000] [--seconds 30]
       [--out reports/bench-light-vs-ffmpeg.json]
`;

function options() {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean' },
      ffmpeg: { type: 'string', default: '50' },
      light: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '30' },
      out: { type: 'string', default: 'reports/bench-light-vs-ffmpeg.json' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const number = (name: 'ffmpeg' | 'light' | 'seconds') => positiveNumberFlag(values, name, USAGE);
  return {
    ffmpeg: Math.round(number('ffmpeg')),
    light: Math.round(number('light')),
    seconds: number('seconds'),
    out: values.out as string,
  };
}

async function main(): Promise<void> {
  const opts = options();
  log(`machine: ${JSON.stringify(machine())}`);
  const origin = await startOrigin(
    originSchema.parse({ kind: 'nginx', port: 0, profile: 'tiny', exporters: false }),
  );
  const nginxPid = origin.status().processes.find((process) => process.name === 'nginx')?.pid;
  const clients = opts.ffmpeg + opts.light;
  const rampRate = 20; // what this machine starts ffmpeg viewers at without a backlog
  const spec = swarmSchema.parse({
    viewers: { ffmpeg: opts.ffmpeg, light: opts.light },
    clients,
    rampRate,
    duration: `${Math.ceil(clients / rampRate + 10 + opts.seconds + 5)}s`,
    metricsPort: 0,
    variant: 'highest',
  });
  const swarm = await startSwarm({ url: origin.streamUrl, spec });
  const ffmpegPids = new Set<number>();
  let lightRequests = 0;
  let ffmpegRequests = 0;
  swarm.on('clientStarted', (event) => ffmpegPids.add(event.pid));
  swarm.on('request', (record) => {
    if (record.viewerKind === 'light') lightRequests++;
    else ffmpegRequests++;
  });
  try {
    await sleep((clients / rampRate + 10) * 1000);
    log(`ramp done: ${ffmpegPids.size} ffmpeg processes`);
    const nginxPids = nginxPid ? groupMembers(nginxPid) : [];
    const ffmpegBefore = cpuSnapshot(ffmpegPids);
    const nginxBefore = cpuSnapshot(nginxPids);
    const nodeBefore = nodeCpuSeconds();
    const requestsBefore = { light: lightRequests, ffmpeg: ffmpegRequests };
    const startMs = Date.now();
    await sleep(opts.seconds * 1000);
    const seconds = (Date.now() - startMs) / 1000;
    const ffmpegCpu = cpuDelta(ffmpegBefore, cpuSnapshot(ffmpegPids));
    const nodeCpu = nodeCpuSeconds() - nodeBefore;
    const nginxCpu = cpuDelta(nginxBefore, cpuSnapshot(nginxPids));
    const percentOfCore = (cpuSeconds: number) => Number(((cpuSeconds / seconds) * 100).toFixed(2));
    const results = {
      startedAt: new Date(startMs).toISOString(),
      options: opts,
      windowSeconds: Number(seconds.toFixed(1)),
      ffmpegViewers: {
        count: opts.ffmpeg,
        cpuPercentOfOneCore: percentOfCore(ffmpegCpu),
        perViewerPercentOfOneCore: Number((percentOfCore(ffmpegCpu) / opts.ffmpeg).toFixed(4)),
        requestsPerSecond: Number(((ffmpegRequests - requestsBefore.ffmpeg) / seconds).toFixed(1)),
      },
      lightViewers: {
        count: opts.light,
        nodeCpuPercentOfOneCore: percentOfCore(nodeCpu),
        perViewerPercentOfOneCoreUpperBound: Number((percentOfCore(nodeCpu) / opts.light).toFixed(4)),
        requestsPerSecond: Number(((lightRequests - requestsBefore.light) / seconds).toFixed(1)),
      },
      nginxCpuPercentOfOneCore: percentOfCore(nginxCpu),
    };
    log(`results: ${JSON.stringify(results)}`);
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
    const ratio =
      results.ffmpegViewers.perViewerPercentOfOneCore /
      results.lightViewers.perViewerPercentOfOneCoreUpperBound;
    process.stdout.write(
      `\n| per viewer (% of one core) | ffmpeg | light (upper bound) |\n|---|---|---|\n` +
        `| ${opts.ffmpeg} ffmpeg + ${opts.light} light, ${results.windowSeconds} s | ${results.ffmpegViewers.perViewerPercentOfOneCore} | ${results.lightViewers.perViewerPercentOfOneCoreUpperBound} |\n` +
        `\nan ffmpeg viewer costs ${ratio.toFixed(0)}× a light viewer here\n`,
    );
  } finally {
    await swarm.stop();
    await origin.stop();
  }
}

runBench(main);
