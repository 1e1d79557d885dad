// Test helper run as a separate Node process: starts owned children, prints their PIDs,
// then waits to be killed (the test SIGKILLs it and checks that the children die too).
import { spawnOwned, watchdogPid } from '../index.js';

const sleeper = spawnOwned('sleep', ['300']);
// A process group with a grandchild: the shell's `sleep` must die with it.
const shell = spawnOwned('sh', ['-c', 'sleep 300 & wait']);
setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ pids: [sleeper.pid, shell.pid], watchdog: watchdogPid() })}\n`);
}, 300);
setInterval(() => {}, 1000);
