import type { ScenarioAction } from '../types.js';

/** An action recording the PID of every viewer the swarm starts, to check none is left afterwards. */
export function recordViewerPids(pids: number[]): ScenarioAction {
  return {
    name: 'record viewer PIDs',
    at: '0s',
    run({ swarm }) {
      swarm.on('clientStarted', (event) => pids.push(event.pid));
      pids.push(...(swarm.viewerPids?.() ?? []));
    },
  };
}
