import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema, scenarioSpecSchema } from './index.js';
import { validateJsonSchema } from './test/json-schema.js';

// The spec objects the example scenarios pass to scenario(name, spec), recorded from
// scenarios/*.load.ts by fixtures/record/scenario-specs.mjs.
const recorded = JSON.parse(
  readFileSync(new URL('../../fixtures/scenarios/specs.json', import.meta.url), 'utf8'),
) as Array<{ file: string; test: string; spec: Record<string, unknown>; fileOriginSpec?: unknown }>;

const published = scenarioJsonSchema();

describe('the published scenario.schema.json (checked by a validator independent of zod)', () => {
  it('accepts every example scenario as users write it, with and without name and origin', () => {
    expect(recorded.length).toBeGreaterThanOrEqual(5);
    for (const { file, test, spec, fileOriginSpec } of recorded) {
      expect(validateJsonSchema(published, spec), `${file}: ${test}`).toEqual([]);
      expect(scenarioSpecSchema.safeParse(spec).success, `${file}: ${test}`).toBe(true);
      // The same scenario as runScenario takes it: a name and an origin.
      const full = { name: 'example', ...spec, origin: spec.origin ?? fileOriginSpec };
      expect(validateJsonSchema(published, full), `${file}: ${test} (full)`).toEqual([]);
    }
  });

  it('requires neither name (the test gives it) nor origin (the file fixture may)', () => {
    expect(published.required).toEqual(['swarm']);
  });

  it('still rejects what the zod schema rejects: unknown keys, wrong types, unknown origin kinds', () => {
    const spec = recorded[0]?.spec ?? {};
    const problems = (value: unknown) => validateJsonSchema(published, value).join('\n');
    expect(problems({ ...spec, swarmm: {} })).toContain('$.swarmm: no value is allowed here');
    expect(problems({ ...spec, swarm: { clients: 'ten' } })).toContain('$.swarm.clients: expected');
    expect(problems({ ...spec, origin: { kind: 'ftp' } })).toContain('$.origin');
    expect(problems({ slo: {} })).toContain('missing required swarm');
    expect(problems({ ...spec, name: '' })).toContain('$.name');
    for (const bad of [{ ...spec, swarmm: {} }, { ...spec, swarm: { clients: 'ten' } }, { slo: {} }])
      expect(scenarioSpecSchema.safeParse(bad).success).toBe(false);
  });
});
