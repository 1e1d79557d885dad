import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/*
 * The page's chart library, inlined so the page works from file:// with no network.
 * uPlot: ~50 kB minified, canvas time series that stay fast with 10^5 points, no
 * dependencies, MIT. Chart.js (~200 kB) and ECharts (~1 MB) would triple the page for the
 * same line charts.
 */

const require = createRequire(import.meta.url);

let cached: { script: string; css: string } | undefined;

/** uPlot's IIFE bundle and CSS, read once per process. */
export function uplotAssets(): { script: string; css: string } {
  if (!cached) {
    const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8')
      // Its banner names the project's URL: keep the credit, without a link the page could follow.
      .replace(/https?:\/\/github\.com\/leeoniya\/uPlot/g, 'github.com/leeoniya/uPlot (MIT)')
      .replaceAll('</script', '<\\/script');
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    cached = { script, css };
  }
  return cached;
}

/*
 * Draws every chart of the embedded ChartsData (charts.ts) with uPlot: shaded steady window,
 * a dashed line and label per action, a legend per chart. Plain ES2017 run by the browser.
 */
export const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  if (!data) return;
  function fmt(unit, v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    switch (unit) {
      case 'seconds': return a >= 1 ? v.toFixed(2) + ' s' : (v * 1000).toFixed(a < 0.01 ? 1 : 0) + ' ms';
      case 'bytesPerSecond': {
        var b = v * 8, u = ['b/s', 'kb/s', 'Mb/s', 'Gb/s'], i = 0;
        while (Math.abs(b) >= 1000 && i < u.length - 1) { b /= 1000; i++; }
        return b.toFixed(b >= 100 || i === 0 ? 0 : 1) + ' ' + u[i];
      }
      case 'ratio': return (v * 100).toFixed(a < 0.1 ? 1 : 0) + '%';
      case 'speed': return v.toFixed(2) + 'x';
      case 'perSecond': return (a >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3)))) + '/s';
      default: return a >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3)));
    }
  }
  function clock(s) {
    var w = Math.round(s), m = Math.floor(Math.abs(w) / 60), r = Math.abs(w) % 60;
    return (w < 0 ? '-' : '') + (m ? m + 'm' + String(r).padStart(2, '0') + 's' : r + 's');
  }
  function overlay(u) {
    var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height, dpr = window.devicePixelRatio || 1;
    ctx.save();
    // uPlot leaves the axes' alignment on the context.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    if (data.steady) {
      // Clamped to the plot: a window past the last sample must not paint the margin.
      var left = u.bbox.left, right = u.bbox.left + u.bbox.width;
      var x0 = Math.max(left, Math.min(right, u.valToPos(data.steady.startSeconds, 'x', true)));
      var x1 = Math.max(left, Math.min(right, u.valToPos(data.steady.endSeconds, 'x', true)));
      ctx.fillStyle = 'rgba(34, 197, 94, 0.10)';
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.fillStyle = 'rgba(21, 128, 61, 0.9)';
      ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
      ctx.fillText('steady window', x0 + 4 * dpr, top + 12 * dpr);
    }
    data.markers.forEach(function (m, i) {
      var x = u.valToPos(m.atSeconds, 'x', true);
      ctx.strokeStyle = m.ok ? '#475569' : '#dc2626';
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
      ctx.fillText(m.label + ' @ ' + clock(m.atSeconds), x + 4 * dpr, top + (26 + 13 * i) * dpr);
    });
    ctx.restore();
  }
  data.charts.forEach(function (chart) {
    var el = document.getElementById('chart-' + chart.id);
    if (!el) return;
    var series = [{ label: 'time', value: function (u, v) { return v == null ? '–' : clock(v); } }];
    chart.series.forEach(function (s) {
      var unit = s.right ? chart.rightUnit : chart.unit;
      series.push({
        label: s.label, stroke: s.color, width: 1.75, scale: s.right ? 'y2' : 'y', spanGaps: false,
        dash: s.dashed ? [6, 4] : undefined,
        value: function (u, v) { return fmt(unit, v); }
      });
    });
    var axes = [
      { values: function (u, vals) { return vals.map(clock); } },
      { scale: 'y', size: 84, values: function (u, vals) { return vals.map(function (v) { return fmt(chart.unit, v); }); } }
    ];
    if (chart.rightUnit) {
      axes.push({ scale: 'y2', side: 1, size: 84, grid: { show: false },
        values: function (u, vals) { return vals.map(function (v) { return fmt(chart.rightUnit, v); }); } });
    }
    var scales = { x: { time: false }, y: { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.1 : 1]; } } };
    if (chart.rightUnit) scales.y2 = { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.1 : 1]; } };
    var opts = {
      width: Math.max(320, el.clientWidth), height: 240, series: series, axes: axes, scales: scales,
      cursor: { drag: { x: true, y: false } }, hooks: { draw: [overlay] }
    };
    var columns = [data.t].concat(chart.series.map(function (s) { return s.values; }));
    new uPlot(opts, columns, el);
  });
})();
`;
