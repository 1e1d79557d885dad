// Test helper run as a separate Node process: starts an origin (kind from argv, free ports),
// prints what it started as one JSON line, then waits to be SIGKILLed by the test.
import { dirname } from 'node:path';
import { type OriginKind, originSchema, parseWith } from '../../config/index.js';
import { watchdogPid } from '../../system/index.js';
import { startOrigin } from '../index.js';

const kind = (process.argv[2] ?? 'nginx') as OriginKind;
const origin = await startOrigin(
  parseWith(originSchema, { kind, port: 0, profile: 'tiny', minSegments: 1 }, 'test'),
);
process.stdout.write(
  `${JSON.stringify({
    pids: origin.status().processes.map((entry) => entry.pid),
    ports: Object.values(origin.ports ?? {}),
    workspace: dirname(dirname(origin.logs.generator as string)),
    watchdog: watchdogPid(),
  })}\n`,
);
setInterval(() => {}, 1000);
