import { describe, expect, test } from 'vitest';
import { parseScenario } from '../config/index.js';
import { peakClients, plannedSwarmMs, suggestedTimeoutMs } from './plan.js';

const scenario = (swarm: Record<string, unknown>) =>
  parseScenario({ name: 'plan', origin: { kind: 'python', port: 0 }, swarm });

describe('run plan', () => {
  test('planned time is the duration, or the sum of the stages when there are stages', () => {
    expect(plannedSwarmMs(scenario({ clients: 3, duration: '1m30s' }).swarm)).toBe(90_000);
    const staged = scenario({
      clients: 10,
      stages: [
        { duration: '10s', target: 40 },
        { duration: '500ms', target: 120 },
        { duration: '1m', target: 0 },
      ],
    }).swarm;
    expect(plannedSwarmMs(staged)).toBe(70_500);
    expect(peakClients(staged)).toBe(120);
    expect(peakClients(scenario({ clients: 7 }).swarm)).toBe(7);
  });

  test('the suggested test timeout covers origin readiness, the prepare phase, the swarm, its stop grace and a margin', () => {
    // python readyTimeout 60 s (default) + 120 s maxPrepare + 30 s (default duration) + 3 s stopGrace + 60 s
    expect(suggestedTimeoutMs(scenario({ clients: 1 }))).toBe(273_000);
    expect(suggestedTimeoutMs(scenario({ clients: 1, startGate: { maxPrepare: '10s' } }))).toBe(163_000);
    expect(suggestedTimeoutMs(scenario({ clients: 1, startGate: { enabled: false } }))).toBe(153_000);
  });
});
