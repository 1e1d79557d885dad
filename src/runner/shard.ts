import { hostname } from 'node:os';
import { ConfigError, type Scenario, type ShardSpec } from '../config/index.js';
import { exportMergeable, type MetricStore } from '../metrics/index.js';
import type { ReportShard } from '../report/index.js';
import { buildRampPlan, rampInputFromSpec, shardPlan } from '../swarm/index.js';

/*
 * A run as one shard of its scenario (config/shard.ts): the check before anything starts, and
 * the report section `hls-swarm merge` reads.
 */

/** Shards must share one origin; N shards booting N origins would test N origins. */
export function checkShardOrigin(scenario: Scenario, shard: ShardSpec | undefined, ownOrigin: boolean): void {
  if (!shard || shard.count === 1 || ownOrigin || scenario.origin.kind === 'external') return;
  throw new ConfigError(
    [
      `origin.kind: shard ${shard.index}/${shard.count} needs the origin every shard loads: kind 'external' with its url (got '${scenario.origin.kind}'; each shard would boot an origin of its own)`,
    ],
    'scenario',
  );
}

export function shardSectionOf(
  scenario: Scenario,
  shard: ShardSpec,
  store: MetricStore | undefined,
  window: ReportShard['window'],
  swarmStartMs: number | undefined,
  startAtMs: number | undefined,
): ReportShard {
  const plan = shardPlan(buildRampPlan(rampInputFromSpec(scenario.swarm)), shard);
  return {
    index: shard.index,
    count: shard.count,
    viewers: `id % ${shard.count} == ${shard.index}`,
    plannedClients: plan.peakClients,
    host: hostname(),
    startAtMs: startAtMs ?? null,
    startLateMs:
      startAtMs !== undefined && swarmStartMs !== undefined ? Math.round(swarmStartMs - startAtMs) : null,
    scrapesOrigin: shard.index === 0,
    window,
    data: store ? exportMergeable(store) : { version: 1, metrics: [] },
  };
}
