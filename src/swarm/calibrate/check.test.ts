import { describe, expect, it } from 'vitest';
import { parseWith, scenarioSchema } from '../../config/index.js';
import { assessCapacity, calibrationTargetFor } from './check.js';
import { conditionsWarning } from './measure.js';
import { recordedCalibration } from './test/recorded.js';

const recorded = recordedCalibration;

const base = {
  entry: recorded,
  file: '/cache/hls-swarm/calibration-x.json',
  timedViewers: 50,
  localOrigin: true,
  cores: recorded.host.cores,
  memAvailableBytes: recorded.host.memAvailableBytes,
  logLevel: 'trace',
  calibrateCommand: 'hls-swarm calibrate --profile tiny --origin python',
};
const estimate = recorded.estimate.viewers;

describe('assessCapacity', () => {
  it('warns when the peak exceeds the estimate, with the figures, the date and what to do', () => {
    const check = assessCapacity({ ...base, plannedClients: estimate * 2 });
    expect(check.exceeded).toBe(true);
    expect(check.message).toContain(`${estimate * 2} viewers planned, this host drives ~${estimate}`);
    expect(check.message).toContain(`calibrated ${recorded.calibratedAt.slice(0, 10)}`);
    expect(check.message).toContain('reduce clients or shard the load');
    expect(check.capacity).toEqual({
      estimate,
      source: base.file,
      calibratedAt: recorded.calibratedAt,
      plannedClients: estimate * 2,
      limitedBy: 'cpu',
    });
  });

  it('passes a scenario at the estimate', () => {
    const check = assessCapacity({ ...base, plannedClients: estimate });
    expect(check.exceeded).toBe(false);
    expect(check.capacity?.estimate).toBe(estimate);
  });

  it("counts the origin's CPU only when the origin runs on this host", () => {
    const remote = assessCapacity({ ...base, plannedClients: 1, localOrigin: false });
    expect(remote.capacity?.estimate).toBeGreaterThan(estimate);
  });

  it('without a calibration: no estimate, and the command that makes one', () => {
    const check = assessCapacity({ ...base, entry: undefined, plannedClients: 500 });
    expect(check).toMatchObject({ capacity: null, exceeded: false });
    expect(check.message).toContain('`hls-swarm calibrate --profile tiny --origin python` gives an estimate');
  });
});

describe('calibrationTargetFor', () => {
  const origin = (input: Record<string, unknown>) =>
    parseWith(scenarioSchema, { name: 'x', origin: input, swarm: { clients: 1 } }, 'test').origin;

  it('maps python and nginx to their profile, vm and container to the nginx stack, external to its URL', () => {
    expect(calibrationTargetFor(origin({ kind: 'python', profile: 'tiny' }))).toEqual({
      target: 'profile:python/tiny',
      command: 'hls-swarm calibrate --profile tiny --origin python',
      localOrigin: true,
    });
    expect(calibrationTargetFor(origin({ kind: 'nginx' })).target).toBe('profile:nginx/default');
    expect(calibrationTargetFor(origin({ kind: 'container', profile: 'abr' })).target).toBe(
      'profile:nginx/abr',
    );
    const external = calibrationTargetFor(origin({ kind: 'external', url: 'http://127.0.0.1:9/a.m3u8' }));
    expect(external.target).toMatch(/^url:/);
    expect(external.localOrigin).toBe(false);
  });
});

describe('a calibration measured on a busy host', () => {
  it('is flagged in the check line and by conditionsWarning', () => {
    const busy = { hostCpuBusy: 0.99, viewerCpuWaitShare: 0.9 };
    expect(conditionsWarning(busy)).toMatch(
      /busy while measuring \(CPU 99 % busy, viewers waited 90 %.*--fresh/,
    );
    expect(conditionsWarning({ hostCpuBusy: 0.4, viewerCpuWaitShare: 0.01 })).toBeUndefined();
    const check = assessCapacity({ ...base, entry: { ...recorded, conditions: busy }, plannedClients: 1 });
    expect(check.message).toContain('measured on a busy host: may be high');
  });
});
