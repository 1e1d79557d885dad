/*
 * Secrets never reach a report: the rule itself (names, values, the marker) is system's
 * `redact.ts`, shared with the command printer and the logs; here only the walk over a
 * configuration object that the report stores.
 */
import { redactHeaders, redactUrl } from '../system/index.js';

/**
 * Deep copy of a configuration object with secrets redacted: every `headers` record is passed
 * through `redactHeaders`, every http(s) URL string through `redactUrl`.
 */
export function redactConfig<T>(value: T): T {
  return redactValue(value, undefined) as T;
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return /^https?:\/\//i.test(value) ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, undefined));
  if (value !== null && typeof value === 'object') {
    if (key === 'headers' && Object.values(value).every((v) => typeof v === 'string')) {
      return redactHeaders(value as Record<string, string>);
    }
    const out: Record<string, unknown> = {};
    for (const [childKey, child] of Object.entries(value)) out[childKey] = redactValue(child, childKey);
    return out;
  }
  return value;
}
