import { describe, expect, it } from 'vitest';
import { restartSchema } from '../../config/index.js';
import { attemptForRestart, backoffPolicyFromSpec, restartDelayMs } from './backoff.js';

const policy = backoffPolicyFromSpec(restartSchema.parse({}));

describe('restart backoff', () => {
  it('defaults: 250 ms x 1.7, capped at 5 s, reset after 30 s', () => {
    expect(policy).toEqual({
      initialMs: 250,
      multiplier: 1.7,
      maxMs: 5000,
      jitter: 0.2,
      resetAfterMs: 30_000,
    });
    const middle = () => 0.5; // no jitter
    expect(restartDelayMs(0, policy, middle)).toBeCloseTo(250);
    expect(restartDelayMs(1, policy, middle)).toBeCloseTo(425);
    expect(restartDelayMs(2, policy, middle)).toBeCloseTo(722.5);
    expect(restartDelayMs(5, policy, middle)).toBeCloseTo(250 * 1.7 ** 5);
    expect(restartDelayMs(6, policy, middle)).toBe(5000);
    expect(restartDelayMs(50, policy, middle)).toBe(5000);
  });

  it('jitters by at most 20 % either way', () => {
    expect(restartDelayMs(0, policy, () => 0)).toBeCloseTo(200);
    expect(restartDelayMs(0, policy, () => 0.999999)).toBeCloseTo(300, 3);
    expect(restartDelayMs(10, policy, () => 0)).toBeCloseTo(4000);
    expect(restartDelayMs(10, policy, () => 0.999999)).toBeCloseTo(6000, 2);
  });

  it('starts over after a long enough run', () => {
    expect(attemptForRestart(4, 29_999, policy)).toBe(4);
    expect(attemptForRestart(4, 30_000, policy)).toBe(0);
  });
});
