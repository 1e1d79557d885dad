import type { RequestKind } from '../../config/index.js';

export { REQUEST_KINDS } from '../../config/index.js';

const MANIFEST_EXTENSIONS = new Set(['m3u8', 'm3u']);
const SEGMENT_EXTENSIONS = new Set([
  'ts',
  'm4s',
  'aac',
  'mp4',
  'm4a',
  'm4v',
  'mp3',
  'ac3',
  'ec3',
  'vtt',
  'webvtt',
  'cmfv',
  'cmfa',
  'fmp4',
]);
const INIT_EXTENSIONS = new Set(['mp4', 'm4s', 'm4a', 'm4v', 'cmfv', 'cmfa', 'fmp4', 'm4i', 'mp4i']);

/** The path of a URL (or of a bare path) without query or fragment, lower-cased. */
function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return (end === -1 ? url : url.slice(0, end)).toLowerCase();
}

/**
 * Classifies a request by its URL, never by ffmpeg's log tag (the reference tool undercounted
 * playlist refreshes that way). Query strings are ignored. An `EXT-X-MAP` URI is `init` when it
 * is in `initUrls`, or when its file name says so (`init.mp4`, `video_init.m4s`…).
 */
export function classifyRequestUrl(url: string, initUrls?: ReadonlySet<string>): RequestKind {
  if (initUrls?.has(url)) return 'init';
  const path = pathOf(url);
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const extension = dot === -1 ? '' : name.slice(dot + 1);
  if (MANIFEST_EXTENSIONS.has(extension)) return 'manifest';
  if (INIT_EXTENSIONS.has(extension) && /(^|[._-])init([._-]|\d|$)/.test(name.slice(0, dot + 1)))
    return 'init';
  if (SEGMENT_EXTENSIONS.has(extension)) return 'segment';
  return 'other';
}
