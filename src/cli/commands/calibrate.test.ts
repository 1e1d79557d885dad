import { describe, expect, it } from 'vitest';
import { recordedCalibration } from '../../swarm/calibrate/test/recorded.js';
import type { CalibrationOutcome } from '../../swarm/index.js';
import { formatCalibration, parseCalibrateArgs } from './calibrate.js';

const recorded = recordedCalibration;

describe('parseCalibrateArgs', () => {
  it('defaults to the nginx origin with the default profile, trace, 20 viewers, 12 s', () => {
    expect(parseCalibrateArgs([])).toEqual({
      stream: { kind: 'profile', originKind: 'nginx', profile: 'default' },
      logLevel: 'trace',
      viewers: 20,
      steadySeconds: 12,
      timedViewers: 50,
      fresh: false,
      json: false,
    });
  });

  it('takes a loopback URL, a log level and the other flags', () => {
    expect(
      parseCalibrateArgs([
        'http://127.0.0.1:17080/stream.m3u8',
        '--log-level',
        'debug',
        '--seconds',
        '5',
        '--viewers',
        '8',
        '--timed-viewers',
        'all',
        '--fresh',
        '--json',
      ]),
    ).toEqual({
      stream: { kind: 'url', url: 'http://127.0.0.1:17080/stream.m3u8' },
      logLevel: 'debug',
      viewers: 8,
      steadySeconds: 5,
      timedViewers: 'all',
      fresh: true,
      json: true,
    });
  });

  it.each([
    [['--profile', 'huge'], /--profile: expected one of/],
    [['--origin', 'vm'], /--origin: expected nginx or python/],
    [['--log-level', 'info'], /--log-level: expected one of trace, debug, verbose/],
    [['--seconds', '0'], /--seconds: expected a whole number >= 1/],
    [['--viewers', '1'], /--viewers: expected a whole number >= 2/],
    [['http://127.0.0.1/a.m3u8', '--profile', 'tiny'], /either --profile .* or a URL/],
    [['http://10.1.2.3/a.m3u8'], /not a loopback address.*--allow-remote/],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCalibrateArgs(argv)).toThrow(message);
  });

  it('allows a remote URL with --allow-remote', () => {
    expect(parseCalibrateArgs(['http://10.1.2.3/a.m3u8', '--allow-remote']).stream).toEqual({
      kind: 'url',
      url: 'http://10.1.2.3/a.m3u8',
    });
  });
});

describe('formatCalibration', () => {
  it('shows the host, the costs, the estimate with its budgets, and the cache file', () => {
    const outcome: CalibrationOutcome = {
      entry: recorded,
      file: recorded.cacheFile,
      fromCache: true,
      estimate: recorded.estimate,
      host: recorded.host,
      timedViewers: recorded.timedViewers,
    };
    const text = formatCalibration(outcome);
    expect(text).toContain(`${recorded.host.cores} cores`);
    expect(text).toContain(`~${recorded.estimate.viewers} viewers`);
    expect(text).toContain('70 % CPU and 70 % memory budgets');
    expect(text).toContain('(cached; --fresh measures again)');
    expect(text).toContain(recorded.cacheFile);
    expect(text).toMatch(/per start\s+\d\.\d{3} CPU-s/);
  });
});

describe('formatCalibration on a busy host', () => {
  it('adds a WARNING row only when the host was busy while measuring', () => {
    const outcome = (conditions: {
      hostCpuBusy: number;
      viewerCpuWaitShare: number;
    }): CalibrationOutcome => ({
      entry: { ...recorded, conditions },
      file: recorded.cacheFile,
      fromCache: false,
      estimate: recorded.estimate,
      host: recorded.host,
      timedViewers: recorded.timedViewers,
    });
    expect(formatCalibration(outcome({ hostCpuBusy: 0.3, viewerCpuWaitShare: 0.01 }))).not.toContain(
      'WARNING',
    );
    expect(formatCalibration(outcome({ hostCpuBusy: 0.998, viewerCpuWaitShare: 0.2 }))).toMatch(
      /WARNING\s+the host was busy while measuring \(CPU 100 % busy, viewers waited 20 % of the time/,
    );
  });
});
