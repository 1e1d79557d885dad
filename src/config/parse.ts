import { z } from 'zod';
import { ConfigError, formatIssues } from './errors.js';
import { originSchema, type Scenario, type ScenarioInput, scenarioSchema } from './schema.js';

/** Validates a scenario and applies defaults; throws ConfigError listing every problem. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) throw new ConfigError(formatIssues(result.error, input), source);
  return result.data;
}

/** Identity helper that gives editors the scenario type while writing one. */
export function defineScenario<const T extends ScenarioInput>(scenario: T): T {
  return scenario;
}

/** Validates any part of the configuration against its schema with the same error format. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(formatIssues(result.error, input), source);
  return result.data;
}

/**
 * What users write: the `spec` of `scenario(name, spec)` has no `name` (the test gives it) and
 * may omit `origin` (the file's origin fixture); runScenario's full scenario fits it too.
 */
export const scenarioSpecSchema = scenarioSchema.extend({
  name: scenarioSchema.shape.name.optional(),
  origin: originSchema.optional(),
});

/** The published JSON Schema: a scenario as a user writes it (defaults, name and origin optional). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSpecSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://hls-swarm.dev/scenario.schema.json',
    title: 'hls-swarm scenario',
    description:
      "A scenario as written in a test file: the spec of scenario(name, spec) (name from the test, origin from the file's fixture when omitted), or runScenario's scenario with name and origin.",
  };
}
