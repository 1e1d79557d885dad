import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGGREGATIONS_BY_TYPE, METRIC_CATALOGUE } from './catalogue.js';

const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');

/** Rows of the one table in docs/metrics.md, by metric name (labels stripped). */
function documentedRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const match = /^\|\s*`([a-z_]+)(?:\{[^}]*\})?`\s*\|/.exec(line);
    if (!match) continue;
    rows.set(
      match[1] as string,
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('docs/metrics.md', () => {
  it('has one row per catalogue metric with the same source, type, unit, labels and aggregations', () => {
    const rows = documentedRows();
    expect([...rows.keys()].sort()).toEqual(METRIC_CATALOGUE.map((entry) => entry.name).sort());
    for (const entry of METRIC_CATALOGUE) {
      const [name, source, type, unit, , aggregations] = rows.get(entry.name) as string[];
      const labels = entry.labels.length > 0 ? `{${entry.labels.join(',')}}` : '';
      expect(name).toBe(`\`${entry.name}${labels}\``);
      expect({ source, type, unit }).toEqual({ source: entry.source, type: entry.type, unit: entry.unit });
      expect(aggregations).toBe(
        AGGREGATIONS_BY_TYPE[entry.type]
          .map((aggregation) => (aggregation === 'p' ? 'p(N)' : aggregation))
          .join(', '),
      );
    }
  });
});
