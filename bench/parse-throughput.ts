/*
 * How many ffmpeg trace-log lines per second ClientOutputParser handles on this machine, fed
 * the recorded healthy-viewer log (fixtures/ffmpeg/python-healthy-trace.stderr) over and over in
 * 64 KiB chunks, as the runtime reads stderr. Run: node --import tsx bench/parse-throughput.ts
 * lines/s ÷ (the fixture's lines per second of viewing) is roughly how many trace-level viewers
 * one core can parse.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { ClientOutputParser } from '../src/swarm/parse/index.js';

const rows = readFileSync(new URL('../fixtures/ffmpeg/python-healthy-trace.stderr', import.meta.url), 'utf8')
  .split('\n')
  .filter((row) => row.includes('\t'));
const source = rows.map((row) => row.slice(row.indexOf('\t') + 1));
const stampsMs = rows.map((row) => Number(row.slice(0, row.indexOf('\t'))));
const recordedSeconds = (stampsMs.at(-1)! - stampsMs[0]!) / 1000;
const text = `${source.join('\n')}\n`;
const demuxerLines = source.filter((line) => line.startsWith('[mpegts @ ')).length;

function run(repeats: number): { lines: number; ms: number; requests: number } {
  let requests = 0;
  const parser = new ClientOutputParser(0, (event) => {
    if (event.type === 'request') requests++;
  });
  const chunk = 64 * 1024;
  const started = performance.now();
  let atMs = 1;
  for (let r = 0; r < repeats; r++) {
    for (let offset = 0; offset < text.length; offset += chunk)
      parser.logChunk(text.slice(offset, offset + chunk), atMs++);
  }
  parser.end(atMs);
  return { lines: parser.lines, ms: performance.now() - started, requests };
}

run(20); // warm-up (JIT)
const results = [1, 2, 3].map(() => run(200));
const best = results.reduce((a, b) => (a.lines / a.ms > b.lines / b.ms ? a : b));
const linesPerSecond = (best.lines / best.ms) * 1000;
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(
  `fixture: ${source.length} lines over ${recordedSeconds.toFixed(1)} s of one viewer (${(source.length / recordedSeconds).toFixed(0)} lines/s), ` +
    `${((demuxerLines / source.length) * 100).toFixed(0)} % [mpegts] demuxer lines`,
);
for (const result of results) {
  console.log(
    `  ${result.lines} lines in ${result.ms.toFixed(0)} ms = ${Math.round((result.lines / result.ms) * 1000).toLocaleString('en')} lines/s (${result.requests} requests)`,
  );
}
console.log(
  `best: ${Math.round(linesPerSecond).toLocaleString('en')} lines/s ≈ ` +
    `${Math.round(linesPerSecond / (source.length / recordedSeconds)).toLocaleString('en')} trace-level viewers per core`,
);
