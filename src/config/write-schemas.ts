/**
 * Writes the JSON Schemas shipped in the package (run by `npm run build`):
 * `<dir>/scenario.schema.json` so editors validate scenario objects.
 * Other layers add their schemas here (the report schema lives in src/report).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioJsonSchema } from './parse.js';

const outDir = process.argv[2] ?? 'dist';
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'scenario.schema.json'), `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
