import { describe, expect, it } from 'vitest';
import {
  isSecretHeader,
  isSecretName,
  isSecretValue,
  REDACTED,
  redactHeaderBlock,
  redactHeaders,
  redactText,
  redactUrl,
} from './redact.js';

// A syntactically valid JWT (header {"alg":"HS256","typ":"JWT"}, payload {"sub":"viewer"}).
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ2aWV3ZXIifQ.c2lnbmF0dXJl';

describe('the one redaction rule', () => {
  it('recognises secrets by name', () => {
    for (const name of [
      'Authorization',
      'proxy-authorization',
      'Cookie',
      'Set-Cookie',
      'X-Api-Key',
      'x-auth-token',
      'X-Client-Secret',
      'X-Session-Id',
      'X-Password',
      'token',
      'sig',
      'Signature',
      'Policy',
      'Key-Pair-Id',
      'hdnts',
    ])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['Accept', 'Accept-Language', 'Cache-Control', 'Host', 'X-Trace', 'quality', 'Pragma'])
      expect(isSecretName(name), name).toBe(false);
  });

  it('recognises secrets by value whatever the name', () => {
    for (const value of [
      'Bearer abc',
      'basic dXNlcjpwYXNz',
      'Digest username="u"',
      'Token xyz',
      JWT,
      ` ${JWT} `,
    ])
      expect(isSecretValue(value), value).toBe(true);
    for (const value of ['no-cache', 'en-US', 'load-test', 'bearer', '*/*', 'eyJ-not-a-token'])
      expect(isSecretValue(value), value).toBe(false);
    expect(isSecretHeader('X-Custom', 'Bearer abc')).toBe(true);
    expect(isSecretHeader('X-Custom', 'plain')).toBe(false);
  });

  it('redacts header records and -headers blocks by name and by value, with one marker', () => {
    const headers = {
      Authorization: 'Bearer s3cr3t',
      'X-Custom': 'Bearer abc',
      'X-Forwarded-Jwt': JWT,
      'X-Viewer-Jwt-Hint': `prefix ${JWT}`,
      Cookie: 'sid=1',
      'X-Trace': 'load-test',
    };
    expect(redactHeaders(headers)).toEqual({
      Authorization: REDACTED,
      'X-Custom': REDACTED,
      'X-Forwarded-Jwt': REDACTED,
      'X-Viewer-Jwt-Hint': REDACTED,
      Cookie: REDACTED,
      'X-Trace': 'load-test',
    });
    const block = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    expect(redactHeaderBlock(block)).toBe(
      `Authorization: ${REDACTED}\r\nX-Custom: ${REDACTED}\r\nX-Forwarded-Jwt: ${REDACTED}\r\n` +
        `X-Viewer-Jwt-Hint: ${REDACTED}\r\nCookie: ${REDACTED}\r\nX-Trace: load-test\r\n`,
    );
  });

  it('redacts URL passwords and query values by name and by value, other bytes unchanged', () => {
    expect(redactUrl('http://u:pw@127.0.0.1:8080/a.m3u8?token=1&x=%2F2#frag')).toBe(
      `http://u:${REDACTED}@127.0.0.1:8080/a.m3u8?token=${REDACTED}&x=%2F2#frag`,
    );
    expect(redactUrl(`https://cdn.example/a.m3u8?q=${JWT}&hd=1`)).toBe(
      `https://cdn.example/a.m3u8?q=${REDACTED}&hd=1`,
    );
    expect(redactUrl('https://cdn.example/a.m3u8?auth=Bearer%20abc')).toBe(
      `https://cdn.example/a.m3u8?auth=${REDACTED}`,
    );
    expect(redactUrl('http://h/a.m3u8?x=2&flag')).toBe('http://h/a.m3u8?x=2&flag');
    expect(redactUrl('not a url')).toBe('not a url');
    expect(redactUrl('/tmp/stream.m3u8')).toBe('/tmp/stream.m3u8');
  });

  it('redacts free text: URLs, header lines, schemes and JWTs, and keeps ordinary messages', () => {
    expect(
      redactText(
        `GET http://h/a.m3u8?sig=1 failed; X-Custom: Bearer abc; cookie: a=b; token ${JWT} rejected`,
      ),
    ).toBe(`GET http://h/a.m3u8?sig=${REDACTED} failed; X-Custom: Bearer ${REDACTED}; cookie: ${REDACTED}`);
    expect(redactText(`jwt ${JWT} rejected`)).toBe(`jwt ${REDACTED} rejected`);
    expect(redactText('swarm.clients: Unrecognized key: "foo"')).toBe(
      'swarm.clients: Unrecognized key: "foo"',
    );
    expect(redactText('port 17080 is in use')).toBe('port 17080 is in use');
  });
});
