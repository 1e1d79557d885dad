import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Report, type RunSummary, reportSchema, runSummarySchema } from './schema.js';

/** A name safe in a path: lowercase words joined by '-', at most 80 characters. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return slug || 'scenario';
}

/** `smoke.load.ts` → `smoke`; `dir/ramp.test.ts` → `ramp`. */
export function fileStemOf(filePath: string): string {
  const name = basename(filePath)
    .replace(/\.[cm]?[jt]sx?$/, '')
    .replace(/\.(load|int\.test|test|spec)$/, '');
  return slugify(name);
}

/** `reports/<file-stem>/<test-slug>.json` */
export function reportPathFor(reportDir: string, fileStem: string, testSlug: string): string {
  return join(reportDir, slugify(fileStem), `${slugify(testSlug)}.json`);
}

/** Writes text atomically: a temporary file in the same folder, then rename over the target. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Writes JSON atomically (writeTextAtomic). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Validates a report against the schema and writes it atomically. A report that does not
 * match the schema is a bug in hls-swarm: the error lists the paths that are wrong.
 */
export async function writeReport(path: string, report: Report): Promise<void> {
  const checked = reportSchema.safeParse(report);
  if (!checked.success) {
    const issues = checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`hls-swarm produced a report that does not match its schema:\n  ${issues.join('\n  ')}`);
  }
  await writeJsonAtomic(path, checked.data);
}

export async function writeRunSummary(path: string, summary: RunSummary): Promise<void> {
  await writeJsonAtomic(path, runSummarySchema.parse(summary));
}
