// Test helper run as a separate Node process (started under `prlimit --nofile=…`): runs the
// preflight for `clients` viewers, then for 100 times as many, and prints both outcomes.
import { preflight } from '../../preflight.js';

const clients = Number(process.argv[2] ?? 100);
const raised = await preflight({ clients });
let refused: string | undefined;
try {
  await preflight({ clients: clients * 100 });
} catch (error) {
  refused = `${(error as Error).name}: ${(error as Error).message}`;
}
process.stdout.write(`${JSON.stringify({ openFiles: raised.openFiles, lines: raised.lines, refused })}\n`);
