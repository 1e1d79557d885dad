/*
 * Reads the prefix of one ffmpeg log line (`-loglevel repeat+level+…`, optionally with
 * `+datetime`): `[tag @ ctx] [level] message`, or `[level] message` for global lines. The
 * frequent demuxer lines (`[mpegts @ …] [trace] pid=…`, about half of trace output) are
 * recognised on their first bytes before anything else runs; no regex runs on them.
 */

/** Local wall time written by newer ffmpeg with `-loglevel +datetime` (before the context prefix): '2024-05-01 12:00:00.123 '. */
const DATETIME_PREFIX_RE = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) /;
const OPEN_BRACKET = 91; // '['
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/**
 * What a line is, by its prefix:
 * - `demuxer`: an `[mpegts …]` line, `line` is the whole line (from `[`);
 * - `continuation`: no `[` prefix: a line continuing a multi-line message (request headers);
 * - `unreadable`: a `[` with no `]`;
 * - `tagged`: `tag`/`ctx` (empty for a global line, whose `level` is then set) and `message`.
 */
export type LineForm = 'demuxer' | 'continuation' | 'unreadable' | 'tagged';

/** Filled in place by readLinePrefix (one per parser: no allocation per line). */
export interface LinePrefix {
  form: LineForm;
  /** ffmpeg's own time when the line carried one, else the arrival time. */
  atMs: number;
  /** The line without its datetime stamp. */
  line: string;
  tag: string;
  ctx: string;
  /** Only for global lines (`[info] …`): the level in brackets. */
  level: string;
  message: string;
}

export function emptyLinePrefix(): LinePrefix {
  return { form: 'unreadable', atMs: 0, line: '', tag: '', ctx: '', level: '', message: '' };
}

/** Reads `text`'s prefix into `out` and returns it. */
export function readLinePrefix(text: string, arrivalMs: number, out: LinePrefix): LinePrefix {
  out.line = text;
  out.atMs = arrivalMs;
  // The hot path: demuxer packet lines, rejected on their prefix.
  if (text.startsWith('[mpegts ')) {
    out.form = 'demuxer';
    return out;
  }
  const first = text.charCodeAt(0);
  if (first >= DIGIT_0 && first <= DIGIT_9) {
    const stamp = DATETIME_PREFIX_RE.exec(text);
    if (stamp) {
      const [, y, mo, d, h, mi, s, ms] = stamp.map(Number) as number[];
      out.atMs = new Date(y!, mo! - 1, d!, h!, mi!, s!, ms!).getTime();
      out.line = text.slice(stamp[0].length);
      if (out.line.startsWith('[mpegts ')) {
        out.form = 'demuxer';
        return out;
      }
    }
  }
  const line = out.line;
  if (line.charCodeAt(0) !== OPEN_BRACKET) {
    out.form = 'continuation';
    return out;
  }
  const close = line.indexOf(']');
  if (close === -1) {
    out.form = 'unreadable';
    return out;
  }
  const inside = line.slice(1, close);
  // "[http @ 0x55…]" (ffmpeg ≤ 7) or "[http #3]" (newer fftools print a class id instead).
  let at = inside.indexOf(' @ ');
  let separator = 3;
  if (at === -1) {
    at = inside.indexOf(' #');
    separator = 2;
  }
  let tag = '';
  let ctx = '';
  let rest = line.slice(close + 1);
  if (at !== -1) {
    tag = inside.slice(0, at);
    ctx = inside.slice(at + separator);
    // The level tag follows: " [trace] message"
    if (rest.startsWith(' [')) {
      const levelEnd = rest.indexOf(']', 2);
      rest = levelEnd === -1 ? rest : rest.slice(levelEnd + 1);
    }
  }
  out.form = 'tagged';
  out.tag = tag;
  out.ctx = ctx;
  out.level = at === -1 ? inside : '';
  out.message = rest.startsWith(' ') ? rest.slice(1) : rest;
  return out;
}
