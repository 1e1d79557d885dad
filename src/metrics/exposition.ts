/*
 * Prometheus text exposition format (version 0.0.4), parsed exactly: HELP/TYPE lines, other
 * comments, labels with \\ \" \n escapes, NaN/+Inf/-Inf (any case, as Go's ParseFloat takes
 * them; prom-client writes `Nan`), optional millisecond timestamps, histogram/summary parts.
 *
 * Why our own: the one npm parser for this format (parse-prometheus-text-format) has had no
 * release since 2018, has no types, returns values as strings and drops timestamps.
 */

export type ExpositionType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ExpositionSample {
  /** The sample's own name, e.g. `foo_bucket` of histogram `foo`. */
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carried one. */
  timestampMs?: number;
  /** The family the sample belongs to (`foo` for `foo_bucket`), or its own name. */
  family: string;
  /** The family's declared type, `untyped` when undeclared. */
  familyType: ExpositionType;
  /**
   * How the sample itself behaves over time: histogram buckets, sums and counts and
   * summary sums and counts are counters; summary quantiles and untyped values are gauges.
   */
  sampleType: 'counter' | 'gauge';
}

export interface ExpositionFamily {
  name: string;
  type: ExpositionType;
  help?: string;
}

export interface ParsedExposition {
  samples: ExpositionSample[];
  families: Map<string, ExpositionFamily>;
}

/** A scrape body that is not valid exposition text; names the line and column. */
export class ExpositionParseError extends Error {
  override readonly name = 'ExpositionParseError';
  constructor(
    readonly reason: string,
    readonly lineNumber: number,
    readonly column: number,
    readonly line: string,
  ) {
    const excerpt = line.length > 120 ? `${line.slice(0, 117)}...` : line;
    super(`line ${lineNumber}, column ${column}: ${reason}: ${JSON.stringify(excerpt)}`);
  }
}

const TYPES = new Set<ExpositionType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// Sticky (y) regexes match at lastIndex only: the scanner moves through a line without copies.
const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const PLAIN_LABEL_TEXT = /[^"\\]*/y;

function matchAt(re: RegExp, line: string, pos: number): number {
  re.lastIndex = pos;
  return re.test(line) ? re.lastIndex : pos;
}
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+)$/;
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created'] as const;

/** Parses a float as Prometheus does (Go strconv.ParseFloat): NaN, Inf in any case. */
export function parseExpositionFloat(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity')
    return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (!FLOAT_RE.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** Resolves the family a sample name belongs to, given the declared families. */
function familyOf(
  name: string,
  families: Map<string, ExpositionFamily>,
): { family: string; type: ExpositionType; suffix?: string } {
  const own = families.get(name);
  if (own) return { family: name, type: own.type };
  for (const suffix of SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const declared = families.get(base);
    if (declared) return { family: base, type: declared.type, suffix };
  }
  return { family: name, type: 'untyped' };
}

function sampleTypeOf(type: ExpositionType, suffix: string | undefined): 'counter' | 'gauge' {
  if (type === 'counter') return 'counter';
  if (type === 'histogram') return 'counter';
  if (type === 'summary') return suffix === '_sum' || suffix === '_count' ? 'counter' : 'gauge';
  return 'gauge';
}

/** Parses one exposition body; throws ExpositionParseError on the first malformed line. */
export function parseExposition(text: string): ParsedExposition {
  const families = new Map<string, ExpositionFamily>();
  const samples: ExpositionSample[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const lineNumber = index + 1;
    const fail = (reason: string, column: number): never => {
      throw new ExpositionParseError(reason, lineNumber, column, line);
    };
    let pos = 0;
    while (isSpace(line[pos])) pos++;
    if (pos === line.length) continue;
    if (line[pos] === '#') {
      const match = /^#[ \t]+(HELP|TYPE)[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/.exec(
        line.slice(pos),
      );
      if (!match) continue; // any other comment
      const [, keyword, name, rest = ''] = match as unknown as [string, string, string, string | undefined];
      const family = families.get(name as string) ?? {
        name: name as string,
        type: 'untyped' as ExpositionType,
      };
      if (keyword === 'TYPE') {
        const type = rest.trim().toLowerCase();
        if (!TYPES.has(type as ExpositionType))
          fail(`unknown metric type ${JSON.stringify(rest.trim())}`, pos + 1);
        family.type = type as ExpositionType;
      } else {
        family.help = unescapeHelp(rest);
      }
      families.set(name as string, family);
      continue;
    }

    // metric name
    const nameStart = pos;
    pos = matchAt(METRIC_NAME, line, pos);
    if (pos === nameStart) fail('expected a metric name', pos + 1);
    const name = line.slice(nameStart, pos);

    // labels
    const labels: Record<string, string> = {};
    const afterName = pos;
    while (isSpace(line[pos])) pos++;
    if (line[pos] !== '{') pos = afterName;
    else {
      pos++;
      for (;;) {
        while (isSpace(line[pos])) pos++;
        if (line[pos] === '}') {
          pos++;
          break;
        }
        const labelStart = pos;
        pos = matchAt(LABEL_NAME, line, pos);
        if (pos === labelStart) fail('expected a label name or }', pos + 1);
        const labelName = line.slice(labelStart, pos);
        while (isSpace(line[pos])) pos++;
        if (line[pos] !== '=') fail(`expected = after label ${labelName}`, pos + 1);
        pos++;
        while (isSpace(line[pos])) pos++;
        if (line[pos] !== '"') fail(`expected " to open the value of label ${labelName}`, pos + 1);
        pos++;
        let value = '';
        for (;;) {
          const plainEnd = matchAt(PLAIN_LABEL_TEXT, line, pos);
          value += line.slice(pos, plainEnd);
          pos = plainEnd;
          const ch = line[pos];
          if (ch === undefined) fail(`unterminated value of label ${labelName}`, pos + 1);
          if (ch === '"') {
            pos++;
            break;
          }
          if (ch === '\\') {
            const next = line[pos + 1];
            if (next === 'n') value += '\n';
            else if (next === '\\') value += '\\';
            else if (next === '"') value += '"';
            else fail(`invalid escape \\${next ?? ''} in label ${labelName}`, pos + 1);
            pos += 2;
            continue;
          }
          value += ch;
          pos++;
        }
        if (labelName in labels) fail(`duplicate label ${labelName}`, labelStart + 1);
        labels[labelName] = value;
        while (isSpace(line[pos])) pos++;
        if (line[pos] === ',') {
          pos++;
          continue;
        }
        if (line[pos] === '}') {
          pos++;
          break;
        }
        fail('expected , or } after a label value', pos + 1);
      }
    }

    // value [timestamp]
    if (!isSpace(line[pos])) fail('expected whitespace before the value', pos + 1);
    while (isSpace(line[pos])) pos++;
    const valueStart = pos;
    while (pos < line.length && !isSpace(line[pos])) pos++;
    const value = parseExpositionFloat(line.slice(valueStart, pos));
    if (value === undefined)
      fail(`invalid value ${JSON.stringify(line.slice(valueStart, pos))}`, valueStart + 1);
    while (isSpace(line[pos])) pos++;
    let timestampMs: number | undefined;
    if (pos < line.length) {
      const tsStart = pos;
      while (pos < line.length && !isSpace(line[pos])) pos++;
      const tsText = line.slice(tsStart, pos);
      if (!/^-?\d+$/.test(tsText)) fail(`invalid timestamp ${JSON.stringify(tsText)}`, tsStart + 1);
      timestampMs = Number(tsText);
      while (isSpace(line[pos])) pos++;
      if (pos < line.length) fail('unexpected text after the timestamp', pos + 1);
    }

    const { family, type, suffix } = familyOf(name, families);
    const sample: ExpositionSample = {
      name,
      labels,
      value: value as number,
      family,
      familyType: type,
      sampleType: sampleTypeOf(type, suffix),
    };
    if (timestampMs !== undefined) sample.timestampMs = timestampMs;
    samples.push(sample);
  }
  return { samples, families };
}
