import { describe, expect, it } from 'vitest';
import { renderNginxConfig } from './config.js';

const options = {
  listen: '127.0.0.1:17080',
  root: '/srv/hls',
  accessLogPath: '/var/log/hls/access.json',
  errorLogPath: '/var/log/hls/error.log',
  pidPath: '/run/hls/nginx.pid',
  tempDir: '/run/hls/tmp',
};

/** The body of the first `location <match> { … }` block (no nested braces in ours). */
function locationBlock(config: string, match: string): string {
  const start = config.indexOf(`location ${match} {`);
  expect(start).toBeGreaterThanOrEqual(0);
  return config.slice(start, config.indexOf('}', start));
}

describe('renderNginxConfig', () => {
  const config = renderNginxConfig(options);

  it('runs in the foreground on the given address with enough connections for 1000 viewers × 3', () => {
    expect(config).toMatch(/^daemon off;$/m);
    expect(config).toMatch(/^\s*listen 127\.0\.0\.1:17080\b/m);
    const connections = Number(/worker_connections (\d+);/.exec(config)?.[1]);
    expect(connections).toBeGreaterThanOrEqual(3000);
    expect(config).toContain('pid "/run/hls/nginx.pid";');
    expect(config).toContain('root "/srv/hls/";');
  });

  it('maps playlist and segment MIME types', () => {
    expect(config).toMatch(/application\/vnd\.apple\.mpegurl\s+m3u8;/);
    expect(config).toMatch(/video\/mp2t\s+ts;/);
  });

  it('gives playlists a short cache lifetime and segments a long immutable one', () => {
    const playlist = locationBlock(config, '~ \\.m3u8$');
    const maxAge = Number(/max-age=(\d+)/.exec(playlist)?.[1]);
    expect(maxAge).toBeLessThanOrEqual(1);
    const segment = locationBlock(config, '~ \\.ts$');
    expect(segment).toContain('immutable');
    expect(Number(/max-age=(\d+)/.exec(segment)?.[1])).toBeGreaterThanOrEqual(3600);
    const valid = /open_file_cache_valid (\d+)s;/.exec(config);
    expect(Number(valid?.[1])).toBeLessThanOrEqual(1);
  });

  it('exposes stub_status to loopback only, /health and a JSON listing', () => {
    const status = locationBlock(config, '= /nginx_status');
    expect(status).toContain('stub_status;');
    expect(status).toContain('allow 127.0.0.1;');
    expect(status).toContain('deny all;');
    expect(status.indexOf('deny all')).toBeGreaterThan(status.indexOf('allow 127.0.0.1'));
    expect(locationBlock(config, '= /health')).toContain('return 200');
    const files = locationBlock(config, '/files/json/');
    expect(files).toContain('autoindex_format json;');
  });

  it('logs JSON lines with time, status, timing, bytes, URI, method, agent, CMCD session and connection', () => {
    const format = /log_format hls_json escape=json '([^']+)';/.exec(config)?.[1];
    expect(format).toBeDefined();
    for (const variable of [
      '$time_iso8601',
      '$msec',
      '$status',
      '$request_time',
      '$body_bytes_sent',
      '$bytes_sent',
      '$uri',
      '$request_method',
      '$http_user_agent',
      '$connection',
    ]) {
      expect(format).toContain(variable);
    }
    // Client correlation: each viewer's CMCD session id (see swarm/command/cmcd.ts).
    expect(format).toContain('"cmcd_session":"$http_cmcd_session"');
    expect(format).not.toMatch(/authorization|cookie/i);
    // With placeholder values substituted, the format is valid JSON.
    const sample = String(format)
      .replace(/"\$[a-z_0-9]+"/g, '"x"')
      .replace(/\$[a-z_0-9]+/g, '1');
    expect(() => JSON.parse(sample)).not.toThrow();
    expect(config).toContain('access_log "/var/log/hls/access.json" hls_json;');
  });

  it('sets user and worker count only when asked', () => {
    expect(config).not.toMatch(/^user /m);
    expect(config).toContain('worker_processes auto;');
    const custom = renderNginxConfig({ ...options, user: 'nginx nginx', workerProcesses: 2 });
    expect(custom).toMatch(/^user nginx nginx;$/m);
    expect(custom).toContain('worker_processes 2;');
  });

  it('rejects values nginx would misread', () => {
    expect(() => renderNginxConfig({ ...options, root: '/srv/$evil' })).toThrow(/root/);
    expect(() => renderNginxConfig({ ...options, listen: '17080' })).toThrow(/listen/);
    expect(() => renderNginxConfig({ ...options, user: 'root; daemon on' })).toThrow(/user/);
  });
});
