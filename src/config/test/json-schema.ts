/*
 * A small JSON Schema (2020-12) validator for the tests, written apart from zod so the published
 * schema is checked by something other than the library that emitted it (ajv is not installed).
 * It knows exactly the keywords our schemas use and throws on any other, so a constraint can
 * never be skipped silently. `format` is an annotation in 2020-12 (not asserted), as is `default`.
 */

type Schema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'format', 'examples']);
const ASSERTIONS = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'anyOf',
  'oneOf',
  'allOf',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
]);

/** Every problem of `value` against `schema`, as `path: what`; empty when valid. */
export function validateJsonSchema(schema: Schema, value: unknown, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  for (const keyword of Object.keys(schema))
    if (!ANNOTATIONS.has(keyword) && !ASSERTIONS.has(keyword))
      throw new Error(`validateJsonSchema: keyword ${keyword} (at ${path}) is not supported; add it`);
  const problems: string[] = [];
  const s = schema as Record<string, unknown>;
  if (s.type !== undefined && !matchesType(s.type as string | string[], value))
    return [`${path}: expected ${JSON.stringify(s.type)}, got ${typeName(value)}`];
  if ('const' in s && !deepEqual(s.const, value))
    problems.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((option) => deepEqual(option, value)))
    problems.push(`${path}: expected one of ${JSON.stringify(s.enum)}`);
  problems.push(...combinators(s, value, path));
  if (typeof value === 'number') problems.push(...numberProblems(s, value, path));
  if (typeof value === 'string') problems.push(...stringProblems(s, value, path));
  if (Array.isArray(value)) problems.push(...arrayProblems(s, value, path));
  else if (isObject(value)) problems.push(...objectProblems(s, value, path));
  return problems;
}

function combinators(s: Record<string, unknown>, value: unknown, path: string): string[] {
  const problems: string[] = [];
  const passing = (branches: Schema[]) =>
    branches.filter((branch) => validateJsonSchema(branch, value, path).length === 0);
  if (Array.isArray(s.anyOf) && passing(s.anyOf as Schema[]).length === 0)
    problems.push(`${path}: matches none of anyOf`);
  if (Array.isArray(s.oneOf) && passing(s.oneOf as Schema[]).length !== 1)
    problems.push(`${path}: matches ${passing(s.oneOf as Schema[]).length} of oneOf (expected exactly 1)`);
  if (Array.isArray(s.allOf))
    for (const branch of s.allOf as Schema[]) problems.push(...validateJsonSchema(branch, value, path));
  return problems;
}

function numberProblems(s: Record<string, unknown>, value: number, path: string): string[] {
  const problems: string[] = [];
  if (typeof s.minimum === 'number' && value < s.minimum)
    problems.push(`${path}: below minimum ${s.minimum}`);
  if (typeof s.maximum === 'number' && value > s.maximum)
    problems.push(`${path}: above maximum ${s.maximum}`);
  if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum)
    problems.push(`${path}: not above ${s.exclusiveMinimum}`);
  if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum)
    problems.push(`${path}: not below ${s.exclusiveMaximum}`);
  return problems;
}

function stringProblems(s: Record<string, unknown>, value: string, path: string): string[] {
  const problems: string[] = [];
  const length = [...value].length; // code points, as JSON Schema counts
  if (typeof s.minLength === 'number' && length < s.minLength)
    problems.push(`${path}: shorter than ${s.minLength}`);
  if (typeof s.maxLength === 'number' && length > s.maxLength)
    problems.push(`${path}: longer than ${s.maxLength}`);
  if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value))
    problems.push(`${path}: does not match ${s.pattern}`);
  return problems;
}

function arrayProblems(s: Record<string, unknown>, value: unknown[], path: string): string[] {
  const problems: string[] = [];
  if (typeof s.minItems === 'number' && value.length < s.minItems)
    problems.push(`${path}: fewer than ${s.minItems} items`);
  if (typeof s.maxItems === 'number' && value.length > s.maxItems)
    problems.push(`${path}: more than ${s.maxItems} items`);
  if (s.items !== undefined)
    value.forEach((item, index) => {
      problems.push(...validateJsonSchema(s.items as Schema, item, `${path}[${index}]`));
    });
  return problems;
}

function objectProblems(s: Record<string, unknown>, value: Record<string, unknown>, path: string): string[] {
  const problems: string[] = [];
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  for (const name of (s.required ?? []) as string[])
    if (!(name in value)) problems.push(`${path}: missing required ${name}`);
  for (const [name, child] of Object.entries(value)) {
    const childPath = `${path}.${name}`;
    if (s.propertyNames !== undefined)
      problems.push(...validateJsonSchema(s.propertyNames as Schema, name, `${childPath} (name)`));
    if (Object.hasOwn(properties, name))
      problems.push(...validateJsonSchema(properties[name] as Schema, child, childPath));
    else if (s.additionalProperties !== undefined)
      problems.push(...validateJsonSchema(s.additionalProperties as Schema, child, childPath));
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(type: string | string[], value: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  const actual = typeName(value);
  return types.some((expected) => expected === actual || (expected === 'number' && actual === 'integer'));
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
