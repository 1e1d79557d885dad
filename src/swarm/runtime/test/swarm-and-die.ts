// Test helper run as a separate Node process: starts a swarm against the URL in argv[2] (argv[3]
// viewers, argv[4] of them timed), prints the viewers' ffmpeg PIDs once they run, then waits to be
// SIGKILLed (the test then checks that no ffmpeg, and no FIFO folder, outlives it).
import { swarmSchema } from '../../../config/index.js';
import { startSwarm } from '../../index.js';

const url = process.argv[2] as string;
const clients = Number(process.argv[3] ?? 2);
const timedViewers = Number(process.argv[4] ?? clients);
const swarm = await startSwarm({
  url,
  spec: swarmSchema.parse({ clients, rampRate: 20, duration: '5m', metricsPort: 0, timedViewers }),
});
const pids = new Set<number>();
swarm.on('clientStarted', (event) => {
  pids.add(event.pid);
  if (pids.size === clients) process.stdout.write(`${JSON.stringify({ pids: [...pids] })}\n`);
});
setInterval(() => {}, 1000);
