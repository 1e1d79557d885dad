import { expect, scenario } from 'hls-swarm/vitest';

/*
 * Origin outage: the origin is stopped 12 s into the run. This test PASSES when the outage is
 * detected and reported: the error-rate thresholds are `strict: false` (they are expected to
 * break, so they must not fail the gate) and the check asserts they broke. The sliding-window
 * threshold also has abortOnFail, so the run stops early, with the reason in the report.
 * Once the origin is gone every viewer restarts with backoff, a storm of ffmpeg starts by
 * design: a saturated generator is reported (`onSaturation: 'warn'`) but does not decide the
 * verdict, since this scenario gates on detecting the outage, not on latency.
 */
scenario(
  'origin outage is detected',
  {
    origin: { kind: 'python', profile: 'tiny', port: 0 },
    swarm: { clients: 4, rampRate: 4, duration: '40s', warmup: '3s', metricsPort: 0, timeout: '3s' },
    slo: {
      request_errors: [
        { threshold: 'rate<0.01', strict: false },
        { threshold: 'rate<0.5', window: '5s', abortOnFail: true, strict: false },
      ],
      // Before the outage the stream was healthy: startup held.
      startup_time: { threshold: 'max<10s', window: 'whole' },
    },
    report: { progressInterval: '5s' },
    generator: { onSaturation: 'warn' },
  },
  {
    actions: [{ name: 'stop origin', at: '12s', run: ({ origin }) => origin.stop() }],
    check: (run) => {
      const [wholeRun, sliding] = run.thresholds;
      expect(wholeRun?.ok, 'the error rate over the run must break').toBe(false);
      expect(sliding?.ok, 'some 5 s window must break').toBe(false);
      expect(run.report.reason).toMatch(/abortOnFail: request_errors rate<0.5/);
      expect(run.report.timeline.actions).toEqual([
        expect.objectContaining({ name: 'stop origin', ok: true }),
      ]);
      // Stopped early: well before the planned 40 s.
      expect((run.report.timeline.endMs - (run.report.timeline.swarmStartMs ?? 0)) / 1000).toBeLessThan(35);
      expect(run).not.toMeetSlo({ request_errors: 'rate<0.01' });
      expect(run.verdict).toBe('pass');
    },
  },
);
