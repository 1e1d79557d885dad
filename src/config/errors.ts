import type { z } from 'zod';
import { HlsSwarmError } from '../system/index.js';

/**
 * A user's configuration was wrong. `issues` lists every problem as `path: what was expected,
 * got X`; the CLI and the Vitest plugin print `message` and never a stack trace.
 */
export class ConfigError extends HlsSwarmError {
  override readonly name = 'ConfigError';
  readonly code = 'HLS_SWARM_CONFIG';
  constructor(
    readonly issues: string[],
    readonly source = 'scenario',
  ) {
    super(`Invalid ${source}:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return 'an object';
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(root)';
}

/** Turns zod issues into one readable line each, naming the path and the value received. */
export function formatIssues(error: z.ZodError, input: unknown): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(
          `${formatPath([...issue.path, key])}: unknown key (check its spelling; allowed keys are in scenario.schema.json)`,
        );
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === 'Invalid input') {
      // zod's default union message says nothing; the closest branch's first issue says more.
      const best = issue.errors.reduce((a, b) => (a.length <= b.length ? a : b));
      const first = best[0];
      if (first) {
        lines.push(
          `${formatPath([...issue.path, ...first.path])}: ${first.message}, got ${describeValue(valueAt(input, [...issue.path, ...first.path]))}`,
        );
        continue;
      }
    }
    const got = describeValue(valueAt(input, issue.path));
    lines.push(`${formatPath(issue.path)}: ${issue.message.replace(/^Invalid input: /, '')}, got ${got}`);
  }
  return lines;
}
