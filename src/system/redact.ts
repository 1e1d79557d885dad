/*
 * The one redaction rule: secrets never reach a report, a log, the console or a printed command.
 * A value is a secret when its name says so (Authorization, Cookie, *token*, *key*, signed-URL
 * parameters…) or when the value looks like one whatever its name (`Bearer …`, `Basic …`, a JWT).
 * Every caller (ffmpeg command printer, report, logs, CLI) uses this module, so a header is never
 * redacted in one place and printed in clear in another. It lives in the lowest layer for that.
 */

/** The one replacement marker, in headers, URLs and free text alike. */
export const REDACTED = '[redacted]';

/** Header or query-parameter names whose value is a credential whatever it looks like. */
const SECRET_NAME =
  /^(authorization|proxy-authorization|cookie|set-cookie|sig|policy|hdnts|hdnea)$|token|secret|key|passw|session|auth|signature|credential/i;
/** Credential schemes (`Authorization: Bearer …`), anywhere a value starts with one. */
const SECRET_SCHEME_PREFIX = /^(bearer|basic|digest|token|negotiate|aws4-hmac-sha256)\s+\S/i;
/** A JSON Web Token: three base64url parts, the first two JSON objects (`eyJ` is `{"`). */
const JWT = /\beyJ[\w-]{2,}\.eyJ[\w-]{2,}\.[\w-]*/;

/** CMCD (CTA-5004) headers name a playback session, not a login: `CMCD-Session: sid="…"` stays readable. */
const CMCD_HEADER = /^cmcd-(session|request|object|status)$/i;

/** True when a header or query parameter called `name` carries a credential. */
export function isSecretName(name: string): boolean {
  const trimmed = name.trim();
  return SECRET_NAME.test(trimmed) && !CMCD_HEADER.test(trimmed);
}

/** True when `value` looks like a credential whatever it is called (`Bearer …`, a JWT). */
export function isSecretValue(value: string): boolean {
  const trimmed = value.trim();
  return SECRET_SCHEME_PREFIX.test(trimmed) || JWT.test(trimmed);
}

/** True when a header (or parameter) must not be shown: by its name or by its value. */
export function isSecretHeader(name: string, value: string): boolean {
  return isSecretName(name) || isSecretValue(value);
}

/** A copy of `headers` with credential values replaced by the marker. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    redacted[name] = isSecretHeader(name, value) ? REDACTED : value;
  }
  return redacted;
}

/** Redacts credential values in a CRLF-joined ffmpeg `-headers` block ("K: V\r\nK2: V2\r\n"). */
export function redactHeaderBlock(block: string): string {
  return block.replace(/^([^:\r\n]+):([^\r\n]*)/gm, (line, name: string, value: string) =>
    isSecretHeader(name, value) ? `${name}: ${REDACTED}` : line,
  );
}

/**
 * A URL with its password and credential query values replaced by the marker; any other text,
 * and a URL with nothing to hide, is returned unchanged (byte for byte).
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (!url.host) return text; // not a network URL (mailto:, a Windows path…): nothing to hide
  const query = redactQuery(url.search);
  if (!url.password && query === url.search) return text;
  // Built by hand: the URL API would percent-encode the marker's brackets.
  const userinfo =
    url.username || url.password ? `${url.username}${url.password ? `:${REDACTED}` : ''}@` : '';
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${query}${url.hash}`;
}

/** `?a=1&token=x` → `?a=1&token=[redacted]`; pairs kept as written, only secret values replaced. */
function redactQuery(search: string): string {
  if (search.length <= 1) return search;
  const pairs = search.slice(1).split('&');
  const redacted = pairs.map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0) return pair;
    const name = safeDecode(pair.slice(0, equals));
    const value = safeDecode(pair.slice(equals + 1));
    return isSecretHeader(name, value) ? `${pair.slice(0, equals)}=${REDACTED}` : pair;
  });
  return `?${redacted.join('&')}`;
}

function safeDecode(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    return component;
  }
}

/**
 * `Name: value` header text whose name marks a credential (in error messages, commands, logs).
 * Narrower than `SECRET_NAME` (`api-key`, not any `key`) so messages such as "Unrecognized key: x" survive.
 */
const SECRET_HEADER_LINE =
  /\b(authorization|proxy-authorization|set-cookie|cookie|[\w-]*(?:token|secret|api[-_]?key|passw|session|auth|signature|credential)[\w-]*)([ \t]*:[ \t]*)[^\r\n'"]*/gi;
/** A credential scheme and its value (`Bearer abc`) anywhere in text. */
const SECRET_SCHEME_VALUE = /\b(bearer|basic|digest|negotiate|aws4-hmac-sha256)([ \t]+)[^\s'",;]+/gi;
const JWT_ANYWHERE = new RegExp(JWT.source, 'g');

/**
 * Free text (an error message, a command line, a log line) with secrets replaced: URLs through
 * `redactUrl`, `Name: value` header text, credential schemes (`Bearer …`) and JWTs.
 */
export function redactText(text: string): string {
  return text
    .replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, (url) => redactUrl(url))
    .replace(
      SECRET_HEADER_LINE,
      (_whole, name: string, separator: string) => `${name}${separator}${REDACTED}`,
    )
    .replace(SECRET_SCHEME_VALUE, (_whole, scheme: string, space: string) => `${scheme}${space}${REDACTED}`)
    .replace(JWT_ANYWHERE, REDACTED);
}
