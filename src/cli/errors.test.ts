import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../config/index.js';
import { OriginStartError } from '../origin/index.js';
import { SloConfigError, ThresholdSyntaxError, ThresholdTypeError } from '../slo/index.js';
import { SwarmStartError, VariantProbeError } from '../swarm/index.js';
import { HlsSwarmError, isUserFacingError, MissingBinaryError, PortInUseError } from '../system/index.js';
import { UsageError } from './errors.js';

// One of each user-facing error, as the layers throw them.
const userErrors: HlsSwarmError[] = [
  new ConfigError(['swarm.clients: expected a number, got "ten"']),
  new PortInUseError(17080, '127.0.0.1', 'nginx (pid 1)', 'the origin'),
  new MissingBinaryError('ffmpeg', 'ffmpeg', 'the viewers'),
  new OriginStartError('python did not answer', { kind: 'python' }),
  new SwarmStartError('no viewer started'),
  new VariantProbeError('http://127.0.0.1:1/x.m3u8', 'connection refused'),
  new SloConfigError('unknown metric', 'bogus'),
  new ThresholdSyntaxError('expected a number', 'segment_ttfb', 'p(95)<', 6, 'expression'),
  new ThresholdTypeError('rate does not apply to a timing', 'segment_ttfb'),
  new UsageError('--clients: expected a positive integer'),
];

describe('user-facing errors', () => {
  it('every user error extends the base, is recognised by its brand and has a stable, unique code', () => {
    for (const error of userErrors) {
      expect(error, error.name).toBeInstanceOf(HlsSwarmError);
      expect(isUserFacingError(error), error.name).toBe(true);
      expect(error.code, error.name).toMatch(/^HLS_SWARM_[A-Z_]+$/);
    }
    expect(new Set(userErrors.map((error) => error.code)).size).toBe(userErrors.length);
    expect(userErrors.map((error) => [error.name, error.code])).toEqual([
      ['ConfigError', 'HLS_SWARM_CONFIG'],
      ['PortInUseError', 'HLS_SWARM_PORT_IN_USE'],
      ['MissingBinaryError', 'HLS_SWARM_MISSING_BINARY'],
      ['OriginStartError', 'HLS_SWARM_ORIGIN_START'],
      ['SwarmStartError', 'HLS_SWARM_SWARM_START'],
      ['VariantProbeError', 'HLS_SWARM_VARIANT_PROBE'],
      ['SloConfigError', 'HLS_SWARM_SLO_CONFIG'],
      ['ThresholdSyntaxError', 'HLS_SWARM_THRESHOLD_SYNTAX'],
      ['ThresholdTypeError', 'HLS_SWARM_THRESHOLD_TYPE'],
      ['UsageError', 'HLS_SWARM_USAGE'],
    ]);
  });

  it('the brand stays out of JSON and own keys', () => {
    const error = new ConfigError(['x: bad']);
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
    expect(JSON.stringify({ ...error })).not.toContain('user-error');
  });

  it('other errors are not user-facing, even when named like one', () => {
    const impostor = new Error('looks like a config error');
    impostor.name = 'ConfigError';
    for (const error of [
      impostor,
      new TypeError('x'),
      'ConfigError',
      undefined,
      null,
      { code: 'HLS_SWARM_CONFIG' },
    ])
      expect(isUserFacingError(error)).toBe(false);
  });

  it('recognises an error from another copy of the module (a second installed version)', async () => {
    // A byte-for-byte copy of errors.ts loaded as a separate module: its class is not ours.
    const source = await readFile(new URL('../system/errors.ts', import.meta.url), 'utf8');
    const copyPath = join(tmpdir(), `hls-swarm-errors-copy-${process.pid}-${Date.now()}.ts`);
    await writeFile(copyPath, source);
    onTestFinished(() => rm(copyPath, { force: true }));
    const copy = (await import(pathToFileURL(copyPath).href)) as typeof import('../system/errors.js');
    class CopiedConfigError extends copy.HlsSwarmError {
      readonly code = 'HLS_SWARM_CONFIG';
    }
    const foreign = new CopiedConfigError('from the other copy');
    expect(copy.HlsSwarmError).not.toBe(HlsSwarmError);
    expect(foreign).not.toBeInstanceOf(HlsSwarmError);
    expect(isUserFacingError(foreign)).toBe(true);
    expect(copy.isUserFacingError(new ConfigError(['x: bad']))).toBe(true);
  });
});
