import type { z } from 'zod';
import {
  DURATION_HINT,
  parseWith,
  type SloSpec,
  sloSchema,
  type ThresholdSpec,
  tryParseDurationMs,
} from '../config/index.js';
import {
  AGGREGATIONS_BY_TYPE,
  type Aggregation,
  catalogueEntry,
  METRIC_CATALOGUE,
  type MetricType,
} from '../metrics/index.js';
import { ThresholdSyntaxError, ThresholdTypeError } from './errors.js';

/*
 * k6-style thresholds, parsed once into a small AST at config time:
 *   expression := aggregation operator number [unit]
 *   aggregation := p(N) | avg | med | min | max | count | rate | value
 *   operator    := < | <= | > | >= | == | === | !=
 *   unit        := ms | s        (the bound is then in seconds)
 * Metric keys may carry label filters: http_errors{status="404",kind="segment"}.
 */

export type ComparisonOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ThresholdAst {
  aggregation: Aggregation;
  /** For p(N): N in [0, 100]. */
  percentile?: number;
  operator: ComparisonOperator;
  /** The bound, in seconds when a unit was given. */
  bound: number;
  unit?: 'ms' | 's';
}

export type SloWindow = { kind: 'steady' } | { kind: 'whole' } | { kind: 'sliding'; lengthMs: number };

export interface CompiledThreshold extends ThresholdAst {
  /** The metric key as written, e.g. 'http_errors{status="404"}'. */
  metric: string;
  metricName: string;
  labels: Record<string, string>;
  /** The expression as written, e.g. 'p(95)<0.5'. */
  expression: string;
  window: SloWindow;
  /** The window as written: 'steady', 'whole' or a length such as '10s'. */
  windowText: string;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  strict: boolean;
  /** From the catalogue; undefined for a scraped metric, whose type the store knows at run time. */
  metricType?: MetricType;
}

const AGGREGATION_WORDS: readonly Aggregation[] = ['avg', 'med', 'min', 'max', 'count', 'rate', 'value'];

class Cursor {
  position = 0;
  constructor(
    readonly text: string,
    readonly metric: string,
    readonly part: 'expression' | 'metric',
  ) {}
  /** The character under the cursor (a method: TS would narrow a getter between moves). */
  current(): string | undefined {
    return this.text[this.position];
  }
  skipSpaces(): void {
    while (this.current() === ' ' || this.current() === '\t') this.position++;
  }
  startsWith(token: string): boolean {
    return this.text.startsWith(token, this.position);
  }
  fail(reason: string, position = this.position): never {
    throw new ThresholdSyntaxError(reason, this.metric, this.text, position, this.part);
  }
  describeCurrent(): string {
    return this.current() === undefined ? 'the end' : JSON.stringify(this.current());
  }
  number(what: string): number {
    const match = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.position));
    if (!match) this.fail(`expected ${what}, found ${this.describeCurrent()}`);
    this.position += match[0].length;
    return Number(match[0]);
  }
}

/** Parses a threshold expression such as 'p(99.9)<=2s'; `metric` only names it in errors. */
export function parseThresholdExpression(expression: string, metric = '(metric)'): ThresholdAst {
  const cursor: Cursor = new Cursor(expression, metric, 'expression');
  cursor.skipSpaces();
  let aggregation: Aggregation | undefined;
  let percentile: number | undefined;
  if (cursor.startsWith('p(')) {
    cursor.position += 2;
    cursor.skipSpaces();
    const start = cursor.position;
    percentile = cursor.number('a percentile between 0 and 100');
    if (percentile < 0 || percentile > 100) cursor.fail('a percentile must be between 0 and 100', start);
    cursor.skipSpaces();
    if (cursor.current() !== ')') cursor.fail(`expected ) to close p(, found ${cursor.describeCurrent()}`);
    cursor.position++;
    aggregation = 'p';
  } else {
    for (const word of AGGREGATION_WORDS) {
      if (cursor.startsWith(word) && !/[A-Za-z0-9_(]/.test(expression[cursor.position + word.length] ?? '')) {
        aggregation = word;
        cursor.position += word.length;
        break;
      }
    }
    if (!aggregation)
      cursor.fail(
        `expected an aggregation (p(N), avg, med, min, max, count, rate, value), found ${cursor.describeCurrent()}`,
      );
  }
  cursor.skipSpaces();
  let operator: ComparisonOperator | undefined;
  for (const [token, op] of [
    ['===', '=='],
    ['==', '=='],
    ['!=', '!='],
    ['<=', '<='],
    ['>=', '>='],
    ['<', '<'],
    ['>', '>'],
  ] as const) {
    if (cursor.startsWith(token)) {
      operator = op;
      cursor.position += token.length;
      break;
    }
  }
  if (!operator)
    cursor.fail(`expected a comparison (<, <=, >, >=, ==, !=), found ${cursor.describeCurrent()}`);
  cursor.skipSpaces();
  let bound = cursor.number('a number');
  let unit: 'ms' | 's' | undefined;
  if (cursor.startsWith('ms')) {
    unit = 'ms';
    bound /= 1000;
    cursor.position += 2;
  } else if (cursor.current() === 's') {
    unit = 's';
    cursor.position += 1;
  }
  cursor.skipSpaces();
  if (cursor.current() !== undefined)
    cursor.fail(
      unit
        ? `unexpected ${cursor.describeCurrent()} after the bound`
        : `unexpected ${cursor.describeCurrent()} after the number (expected the unit ms or s, or the end)`,
    );
  const ast: ThresholdAst = { aggregation, operator, bound };
  if (percentile !== undefined) ast.percentile = percentile;
  if (unit) ast.unit = unit;
  return ast;
}

/** Parses a metric key with optional label filters: name{label="value",...}. */
export function parseMetricKey(key: string): { name: string; labels: Record<string, string> } {
  const cursor: Cursor = new Cursor(key, key, 'metric');
  cursor.skipSpaces();
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(key.slice(cursor.position));
  if (!nameMatch) cursor.fail(`expected a metric name, found ${cursor.describeCurrent()}`);
  const name = nameMatch[0];
  cursor.position += name.length;
  cursor.skipSpaces();
  const labels: Record<string, string> = {};
  if (cursor.current() === '{') {
    cursor.position++;
    for (;;) {
      cursor.skipSpaces();
      if (cursor.current() === '}') {
        cursor.position++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(key.slice(cursor.position));
      if (!labelMatch) cursor.fail(`expected a label name or }, found ${cursor.describeCurrent()}`);
      const labelName = labelMatch[0];
      const labelStart = cursor.position;
      cursor.position += labelName.length;
      cursor.skipSpaces();
      if (cursor.current() !== '=')
        cursor.fail(`expected = after label ${labelName}, found ${cursor.describeCurrent()}`);
      cursor.position++;
      cursor.skipSpaces();
      if (cursor.current() !== '"') cursor.fail(`expected " to open the value of label ${labelName}`);
      cursor.position++;
      let value = '';
      for (;;) {
        const ch = cursor.current();
        if (ch === undefined) cursor.fail(`unterminated value of label ${labelName} (missing ")`);
        if (ch === '"') {
          cursor.position++;
          break;
        }
        if (ch === '\\') {
          const next = key[cursor.position + 1];
          if (next === '"' || next === '\\') value += next;
          else if (next === 'n') value += '\n';
          else cursor.fail(`invalid escape in the value of label ${labelName}`);
          cursor.position += 2;
          continue;
        }
        value += ch;
        cursor.position++;
      }
      if (labelName in labels) cursor.fail(`label ${labelName} is given twice`, labelStart);
      labels[labelName] = value;
      cursor.skipSpaces();
      if (cursor.current() === ',') {
        cursor.position++;
        continue;
      }
      if (cursor.current() === '}') {
        cursor.position++;
        break;
      }
      cursor.fail(`expected , or } after the value of label ${labelName}, found ${cursor.describeCurrent()}`);
    }
  }
  cursor.skipSpaces();
  if (cursor.current() !== undefined)
    cursor.fail(`unexpected ${cursor.describeCurrent()} after the metric key`);
  return { name, labels };
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** The catalogue name `name` is a likely misspelling of, if any. */
export function likelyMisspelling(name: string): string | undefined {
  if (catalogueEntry(name)) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const entry of METRIC_CATALOGUE) {
    const distance = levenshtein(name.toLowerCase(), entry.name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: entry.name, distance };
  }
  return best?.name;
}

function describeAggregation(ast: ThresholdAst): string {
  return ast.aggregation === 'p' ? `p(${ast.percentile})` : ast.aggregation;
}

/** Checks that an aggregation suits a metric type; returns the problem, or undefined. */
export function aggregationProblem(type: MetricType, ast: ThresholdAst, metric: string): string | undefined {
  const allowed = AGGREGATIONS_BY_TYPE[type];
  if (allowed.includes(ast.aggregation)) return undefined;
  const listed = allowed.map((aggregation) => (aggregation === 'p' ? 'p(N)' : aggregation)).join(', ');
  return `${describeAggregation(ast)} does not apply to ${metric}, a ${type}; use one of: ${listed}`;
}

function parseWindow(text: string, metric: string, expression: string): SloWindow {
  if (text === 'steady') return { kind: 'steady' };
  if (text === 'whole') return { kind: 'whole' };
  const lengthMs = tryParseDurationMs(text);
  if (lengthMs === undefined || lengthMs <= 0)
    throw new ThresholdTypeError(
      `slo[${JSON.stringify(metric)}] ${JSON.stringify(expression)}: window must be 'steady', 'whole' or ${DURATION_HINT}, got ${JSON.stringify(text)}`,
      metric,
    );
  return { kind: 'sliding', lengthMs };
}

function compileOne(metric: string, spec: ThresholdSpec): CompiledThreshold {
  const object = typeof spec === 'string' ? { threshold: spec } : spec;
  const expression = object.threshold;
  const { name, labels } = parseMetricKey(metric);
  const ast = parseThresholdExpression(expression, metric);
  const entry = catalogueEntry(name);
  const where = `slo[${JSON.stringify(metric)}] ${JSON.stringify(expression)}`;
  if (!entry) {
    const suggestion = likelyMisspelling(name);
    if (suggestion)
      throw new ThresholdTypeError(
        `${where}: unknown metric ${JSON.stringify(name)}; did you mean ${JSON.stringify(suggestion)}? ` +
          'Names outside the catalogue (docs/metrics.md) are taken as scraped Prometheus metrics.',
        metric,
      );
  } else {
    const problem = aggregationProblem(entry.type, ast, name);
    if (problem) throw new ThresholdTypeError(`${where}: ${problem}`, metric);
    if (ast.unit && entry.unit !== 'seconds')
      throw new ThresholdTypeError(
        `${where}: the unit ${ast.unit} does not apply to ${name}, measured in ${entry.unit}; write a plain number`,
        metric,
      );
    for (const label of Object.keys(labels))
      if (!entry.labels.includes(label))
        throw new ThresholdTypeError(
          `${where}: ${name} has no label ${JSON.stringify(label)}` +
            (entry.labels.length > 0 ? `; its labels are: ${entry.labels.join(', ')}` : '; it has no labels'),
          metric,
        );
  }
  const windowText = 'window' in object && object.window !== undefined ? object.window : 'steady';
  const delayText = 'delayAbortEval' in object ? object.delayAbortEval : undefined;
  let delayAbortEvalMs = 0;
  if (delayText !== undefined) {
    const parsed = tryParseDurationMs(delayText);
    if (parsed === undefined)
      throw new ThresholdTypeError(
        `${where}: delayAbortEval must be ${DURATION_HINT}, got ${JSON.stringify(delayText)}`,
        metric,
      );
    delayAbortEvalMs = parsed;
  }
  const compiled: CompiledThreshold = {
    ...ast,
    metric,
    metricName: name,
    labels,
    expression,
    window: parseWindow(windowText, metric, expression),
    windowText,
    abortOnFail: 'abortOnFail' in object ? object.abortOnFail === true : false,
    delayAbortEvalMs,
    strict: 'strict' in object ? object.strict !== false : true,
  };
  if (entry) compiled.metricType = entry.type;
  return compiled;
}

/** `slo` as a user writes it (defaults optional) or as parseScenario returns it. */
export type SloInput = z.input<typeof sloSchema> | SloSpec;

/**
 * Compiles scenario.slo into thresholds, in the order written. Throws ConfigError (from
 * src/config) for a wrong shape (e.g. an unknown key such as `abortOnFial`),
 * ThresholdSyntaxError (with the position) or ThresholdTypeError (aggregation, unit,
 * label or window that does not fit the metric).
 */
export function compileSlo(slo: SloInput, source = 'slo'): CompiledThreshold[] {
  const parsed: SloSpec = parseWith(sloSchema, slo, source);
  const compiled: CompiledThreshold[] = [];
  for (const [metric, specs] of Object.entries(parsed)) {
    for (const spec of Array.isArray(specs) ? specs : [specs]) compiled.push(compileOne(metric, spec));
  }
  return compiled;
}
