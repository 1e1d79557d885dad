import { parseDurationMs, type Scenario, type SwarmSpec } from '../config/index.js';

/** How long the swarm is planned to run, in ms: the sum of the stages, else `duration`. */
export function plannedSwarmMs(spec: SwarmSpec): number {
  if (spec.stages && spec.stages.length > 0) {
    return spec.stages.reduce(
      (total, stage, index) => total + parseDurationMs(stage.duration, `swarm.stages[${index}].duration`),
      0,
    );
  }
  return parseDurationMs(spec.duration, 'swarm.duration');
}

/** The most viewers the swarm will run at once. */
export function peakClients(spec: SwarmSpec): number {
  if (spec.stages && spec.stages.length > 0) return Math.max(...spec.stages.map((stage) => stage.target));
  return spec.clients;
}

/** The longest prepare phase of the start gate (0 without it). */
export function maxPrepareMs(spec: SwarmSpec): number {
  return spec.startGate.enabled
    ? parseDurationMs(spec.startGate.maxPrepare, 'swarm.startGate.maxPrepare')
    : 0;
}

/**
 * Origin boot (ready timeout) + the start gate's prepare phase + the swarm + its stop grace +
 * a margin: a fair test timeout.
 */
export function suggestedTimeoutMs(scenario: Scenario, marginMs = 60_000): number {
  const originReadyMs = parseDurationMs(scenario.origin.readyTimeout, 'origin.readyTimeout');
  const stopGraceMs = parseDurationMs(scenario.swarm.stopGrace, 'swarm.stopGrace');
  return (
    originReadyMs + maxPrepareMs(scenario.swarm) + plannedSwarmMs(scenario.swarm) + stopGraceMs + marginMs
  );
}
