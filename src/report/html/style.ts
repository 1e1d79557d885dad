/*
 * The pages' shared look (report and run index): plain CSS, verdict colours. Kept apart from
 * the report renderer so the Vitest reporter can build the run index without the chart code.
 */

/** Known verdicts get a colour; any other (e.g. a newer `inconclusive`) is shown neutral. */
const VERDICT_CLASSES: Record<string, string> = {
  pass: 'v-pass',
  fail: 'v-fail',
  interrupted: 'v-interrupted',
  error: 'v-error',
};

export function verdictClass(verdict: string | null): string {
  return (verdict && VERDICT_CLASSES[verdict]) ?? 'v-other';
}

export const PAGE_CSS = `
:root { color-scheme: light; --fg: #0f172a; --muted: #64748b; --line: #e2e8f0; --ok: #15803d; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f8fafc; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 0; } h2 { font-size: 17px; margin: 28px 0 10px; } h3 { font-size: 14px; margin: 16px 0 6px; }
section, .banner { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-top: 14px; }
section > h2 { margin-top: 0; }
.banner { display: flex; gap: 16px; align-items: flex-start; border-left-width: 8px; }
.verdict { font-weight: 700; font-size: 20px; text-transform: uppercase; padding: 4px 12px; border-radius: 6px; color: #fff; white-space: nowrap; }
.v-pass { border-left-color: #16a34a; } .v-pass .verdict { background: #16a34a; }
.v-fail { border-left-color: #dc2626; } .v-fail .verdict { background: #dc2626; }
.v-interrupted { border-left-color: #d97706; } .v-interrupted .verdict { background: #d97706; }
.v-error { border-left-color: #7f1d1d; } .v-error .verdict { background: #7f1d1d; }
.v-other { border-left-color: #64748b; } .v-other .verdict { background: #64748b; }
.reason { margin-top: 6px; font-weight: 600; } .muted { color: var(--muted); font-size: 12px; }
.ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.grid thead th { background: #f1f5f9; font-size: 12px; } table.kv th { width: 34%; font-weight: 500; color: #334155; }
tr.failed-strict { background: #fef2f2; } tr.failed-soft { background: #fffbeb; }
td.mark { font-size: 16px; text-align: center; } td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre.config { background: #f1f5f9; padding: 10px; border-radius: 6px; overflow: auto; max-height: 480px; }
.tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 10px; margin-top: 14px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; }
.tile-v { font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; } .tile-l { color: var(--muted); font-size: 12px; }
.tile-bad .tile-v { color: var(--bad); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.chart { min-width: 0; } .chart h3 { margin: 4px 0; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 4px; background: #fef3c7; color: #92400e; margin-left: 4px; }
.bar-row { display: grid; grid-template-columns: 36px 1fr 80px; align-items: center; gap: 6px; height: 16px; }
.bar { height: 10px; background: #93c5fd; border-radius: 2px; } .bar.q-p95, .bar.q-p99 { background: #2563eb; } .bar.q-max { background: #1e3a8a; }
.q { color: var(--muted); font-size: 11px; } .v { font-size: 12px; font-variant-numeric: tabular-nums; }
table.dist th { width: 30%; } .two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.legend-note { color: var(--muted); font-size: 12px; margin: 0 0 8px; }
`;
