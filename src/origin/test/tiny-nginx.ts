// A file-wide nginx origin for integration tests: the tiny profile on a free port, no
// exporters, started before the file's tests and stopped after them.
import { afterAll, beforeAll } from 'vitest';
import { originSchema } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../index.js';

/** Registers the origin's start and stop; the returned function gives it inside tests. */
export function useTinyNginxOrigin(): () => RunningOrigin {
  let origin: RunningOrigin | undefined;
  beforeAll(async () => {
    origin = await startOrigin(
      originSchema.parse({ kind: 'nginx', profile: 'tiny', port: 0, exporters: false }),
    );
  }, 90_000);
  afterAll(async () => {
    await origin?.stop();
  });
  return () => {
    if (!origin) throw new Error('the tiny nginx origin has not started');
    return origin;
  };
}
