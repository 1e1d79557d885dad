/*
 * Secrets never reach a report, a log or the console: header values that carry credentials
 * (Authorization, Cookie, anything token-like) and credentials inside URLs (user:password@,
 * signed query parameters) are replaced before anything is written.
 */

export const REDACTED = '[redacted]';

/** Header names whose value is a credential whatever it looks like. */
const SECRET_HEADER_NAME =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|api[-_]?key|password|passwd|session|auth|signature|credential/i;
/** Header values that look like credentials whatever the header is called. */
const SECRET_HEADER_VALUE = /^(bearer|basic|digest|token|negotiate|aws4-hmac-sha256)\s+\S/i;
/** Query parameters that carry credentials in signed or tokenised URLs. */
const SECRET_QUERY_PARAM =
  /token|secret|signature|^sig$|^key$|api[-_]?key|password|passwd|auth|credential|policy|key-pair-id|session|^hdnts$|^hdnea$/i;

export function isSecretHeader(name: string, value: string): boolean {
  return SECRET_HEADER_NAME.test(name.trim()) || SECRET_HEADER_VALUE.test(value.trim());
}

/** A copy of `headers` with credential values replaced by `[redacted]`. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = isSecretHeader(name, value) ? REDACTED : value;
  }
  return out;
}

/** A URL with its password and credential-like query values replaced; other text unchanged. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return text;
  let changed = false;
  if (url.password) {
    url.password = 'redacted';
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_PARAM.test(name)) {
      url.searchParams.set(name, 'redacted');
      changed = true;
    }
  }
  return changed ? url.toString() : text;
}

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

const SECRET_HEADER_LINE =
  /\b(authorization|proxy-authorization|set-cookie|cookie|[\w-]*(?:token|secret|api[-_]?key|password|passwd|session|auth|signature|credential)[\w-]*)([ \t]*:[ \t]*)[^\r\n'"]*/gi;
const SECRET_SCHEME_VALUE = /\b(bearer|basic|digest|negotiate|aws4-hmac-sha256)([ \t]+)[^\s'",]+/gi;

/** Redacts `Name: value` header text, credential schemes (`Bearer …`) and URLs inside free text (errors, commands). */
export function redactText(text: string): string {
  return text
    .replace(/https?:\/\/[^\s'"<>]+/gi, (url) => redactUrl(url))
    .replace(
      SECRET_HEADER_LINE,
      (_whole, name: string, separator: string) => `${name}${separator}${REDACTED}`,
    )
    .replace(SECRET_SCHEME_VALUE, (_whole, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
}
