import { describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../../config/index.js';
import { UsageError } from '../errors.js';
import { originInputFromArgs } from './origin.js';

describe('origin start arguments', () => {
  it('builds a python spec that validates with defaults applied', () => {
    const { input, logDir } = originInputFromArgs([
      'start',
      '--kind',
      'python',
      '--port',
      '0',
      '--profile',
      'tiny',
    ]);
    expect(input).toEqual({ kind: 'python', port: 0, profile: 'tiny' });
    expect(logDir).toBeUndefined();
    expect(parseWith(originSchema, input, 'cli')).toMatchObject({
      kind: 'python',
      port: 0,
      profile: 'tiny',
      bind: '127.0.0.1',
      minSegments: 3,
    });
  });

  it('maps nginx flags, --no-exporters and --log-dir', () => {
    const { input, logDir } = originInputFromArgs([
      'start',
      '--kind',
      'nginx',
      '--nginx-exporter-port',
      '27113',
      '--no-exporters',
      '--ready-timeout',
      '90s',
      '--log-dir',
      '/tmp/logs',
    ]);
    expect(input).toEqual({ kind: 'nginx', nginxExporterPort: 27113, exporters: false, readyTimeout: '90s' });
    expect(logDir).toBe('/tmp/logs');
  });

  it('passes vm and container options through for their drivers', () => {
    const vm = originInputFromArgs([
      'start',
      '--kind',
      'vm',
      '--image',
      'kernel=/k,disk=/d.ext4,initrd=/i',
      '--runner',
      'microvm-run --flag',
      '--network',
      'user',
    ]).input;
    expect(vm).toEqual({
      kind: 'vm',
      image: { kernel: '/k', disk: '/d.ext4', initrd: '/i' },
      runner: ['microvm-run', '--flag'],
      network: 'user',
    });
    expect(parseWith(originSchema, vm, 'cli')).toMatchObject({ kind: 'vm', network: 'user' });
    const container = originInputFromArgs(['start', '--kind', 'container', '--image', 'hls-origin:1']).input;
    expect(container).toEqual({ kind: 'container', image: 'hls-origin:1' });
  });

  it('builds an external spec with exporters, and lets flags override --spec', () => {
    const { input } = originInputFromArgs([
      'start',
      '--spec',
      '{"kind":"external","url":"http://127.0.0.1:1/a.m3u8","minSegments":2}',
      '--url',
      'http://127.0.0.1:2/b.m3u8',
      '--node-metrics',
      'http://127.0.0.1:9100/metrics',
      '--allow-remote',
    ]);
    expect(input).toEqual({
      kind: 'external',
      url: 'http://127.0.0.1:2/b.m3u8',
      minSegments: 2,
      exporters: { node: 'http://127.0.0.1:9100/metrics' },
      allowRemote: true,
    });
  });

  it('rejects what cannot be run as typed', () => {
    expect(() => originInputFromArgs(['--kind', 'python'])).toThrow(UsageError);
    expect(() => originInputFromArgs(['start'])).toThrow(/--kind is required/);
    expect(() => originInputFromArgs(['start', '--kind', 'python', '--port', 'abc'])).toThrow(
      /--port expects/,
    );
    expect(() => originInputFromArgs(['start', '--kind', 'vm', '--image', 'nonsense'])).toThrow(
      /kernel=PATH/,
    );
    expect(() => originInputFromArgs(['start', '--spec', '[1]'])).toThrow(/JSON object/);
    expect(() => originInputFromArgs(['start', '--kind', 'python', '--bogus'])).toThrow(UsageError);
    expect(() => originInputFromArgs(['start', '--kind', 'python', '--bogus'])).toThrow(/--bogus/);
    expect(() => originInputFromArgs(['start', '--kind'])).toThrow(UsageError);
  });
});
