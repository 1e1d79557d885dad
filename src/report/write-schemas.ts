/**
 * Writes the report JSON Schemas shipped in the package (run by `npm run build` after
 * src/config/write-schemas): `<dir>/report.schema.json` and `<dir>/run-summary.schema.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportJsonSchema, runSummaryJsonSchema } from './schema.js';

const outDir = process.argv[2] ?? 'dist';
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.schema.json'), `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
writeFileSync(
  join(outDir, 'run-summary.schema.json'),
  `${JSON.stringify(runSummaryJsonSchema(), null, 2)}\n`,
);
