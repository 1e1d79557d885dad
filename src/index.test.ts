import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as library from './index.js';

// The public list, written out: adding or removing a name from the library is a deliberate act.
const PUBLIC_VALUES = [
  'ConfigError',
  'HlsSwarmError',
  'METRIC_CATALOGUE',
  'MetricsSampler',
  'MissingBinaryError',
  'ORIGIN_KINDS',
  'OriginStartError',
  'PROFILE_NAMES',
  'PortInUseError',
  'REDACTED',
  'REPORT_SCHEMA_VERSION',
  'REQUEST_KINDS',
  'SloConfigError',
  'SwarmStartError',
  'TOOL_VERSION',
  'ThresholdSyntaxError',
  'ThresholdTypeError',
  'VARIANTS',
  'VariantProbeError',
  'buildClientCommand',
  'catalogueEntry',
  'classifyRequestUrl',
  'compareReports',
  'compileSlo',
  'defineScenario',
  'detectFfmpeg',
  'evaluateThresholds',
  'formatSummary',
  'interpolatedPercentile',
  'isUserFacingError',
  'nearestRankPercentile',
  'parseAccessLog',
  'parseDurationMs',
  'parseScenario',
  'readReportFile',
  'redactHeaders',
  'redactText',
  'redactUrl',
  'renderHtmlReport',
  'reportJsonSchema',
  'reportSchema',
  'runScenario',
  'scenarioJsonSchema',
  'scenarioSchema',
  'scenarioSpecSchema',
  'startOrigin',
  'startSwarm',
  'validateScenario',
  'writeHtmlReport',
  'writeReport',
];

describe('the library entry (src/index.ts)', () => {
  it('is an explicit list, not a re-export of whole layers', () => {
    const source = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*export \* /m);
  });

  it('exports exactly the curated names, each defined', () => {
    expect(Object.keys(library).sort()).toEqual([...PUBLIC_VALUES].sort());
    for (const [name, value] of Object.entries(library)) expect(value, name).toBeDefined();
  });

  it('is enough to validate a scenario and recognise its errors', () => {
    const input: library.ScenarioInput = {
      name: 'library-use',
      origin: { kind: 'external', url: 'http://127.0.0.1:1/live.m3u8' },
      swarm: { clients: 2 },
    };
    const scenario: library.Scenario = library.parseScenario(input);
    expect(scenario.swarm.clients).toBe(2);
    let caught: unknown;
    try {
      library.parseScenario({ ...input, swarm: { clients: 0 } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(library.ConfigError);
    expect(library.isUserFacingError(caught)).toBe(true);
    expect(library.classifyRequestUrl('/seg1.ts?token=x')).toBe('segment');
    expect(library.redactUrl('http://h/a.m3u8?token=x')).toBe(`http://h/a.m3u8?token=${library.REDACTED}`);
  });
});
