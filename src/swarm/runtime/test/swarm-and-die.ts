// Test helper run as a separate Node process: starts a swarm against the URL in argv[2], prints
// the viewers' ffmpeg PIDs once they run, then waits to be SIGKILLed (the test then checks that
// no ffmpeg outlives it).
import { swarmSchema } from '../../../config/index.js';
import { startSwarm } from '../../index.js';

const url = process.argv[2] as string;
const clients = Number(process.argv[3] ?? 2);
const swarm = await startSwarm({
  url,
  spec: swarmSchema.parse({ clients, rampRate: 20, duration: '5m', metricsPort: 0 }),
});
const pids = new Set<number>();
swarm.on('clientStarted', (event) => {
  pids.add(event.pid);
  if (pids.size === clients) process.stdout.write(`${JSON.stringify({ pids: [...pids] })}\n`);
});
setInterval(() => {}, 1000);
