import type { Vite } from 'vitest/node';
import { hlsSwarm as configHlsSwarm, type HlsSwarmPluginOptions } from './node/plugin.js';

/*
 * The plugin used to be imported from `hls-swarm/vitest`, which loads the whole engine and the
 * worker runtime into vitest.config.ts. That import keeps working for one minor version, with
 * one deprecation warning per process.
 */

export const PLUGIN_IMPORT_DEPRECATION = 'HLS_SWARM_DEP_PLUGIN_IMPORT';
let warned = false;

/** @deprecated Import `hlsSwarm` from 'hls-swarm/vitest/config'; this re-export goes in the next minor version. */
export function hlsSwarm(options: HlsSwarmPluginOptions = {}): Vite.Plugin {
  if (!warned) {
    warned = true;
    process.emitWarning(
      "import { hlsSwarm } from 'hls-swarm/vitest' is deprecated: in vitest.config.ts, import it from " +
        "'hls-swarm/vitest/config' (it loads the plugin only, not the load-test engine). " +
        'The old import goes in the next minor version.',
      { type: 'DeprecationWarning', code: PLUGIN_IMPORT_DEPRECATION },
    );
  }
  return configHlsSwarm(options);
}
