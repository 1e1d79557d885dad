import type { Report } from '../schema.js';

/** The same report with every timing the swarm measured multiplied by `factor` (a slower or faster run). */
export function withTimingsScaled(report: Report, factor: number): Report {
  const swarm = report.swarm;
  if (!swarm) throw new Error('the report has no swarm section to scale');
  const scaled = Object.fromEntries(
    Object.entries(swarm.distributions).map(([name, summary]) => [
      name,
      name === 'playbackSpeed' || !summary
        ? summary
        : {
            ...summary,
            ...Object.fromEntries(
              (['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'] as const).map((key) => [
                key,
                summary[key] * factor,
              ]),
            ),
          },
    ]),
  );
  return { ...report, swarm: { ...swarm, distributions: scaled as typeof swarm.distributions } };
}
