import type { RequestRecord } from '../types.js';

/** What one viewer's output says happened, in order. */
export type ClientOutputEvent =
  /** Emitted once a request is complete or has failed. */
  | { type: 'request'; record: RequestRecord }
  | ProgressEvent
  | { type: 'reconnect'; atMs: number; url?: string }
  | { type: 'http_error'; atMs: number; status: number; url?: string }
  | { type: 'timeout'; atMs: number; url?: string }
  | { type: 'connect_failed'; atMs: number; reason: string; url?: string }
  | { type: 'segment_skipped_expired'; atMs: number; count: number }
  | { type: 'segment_failed'; atMs: number; url?: string }
  | { type: 'playlist_reload_failed'; atMs: number; url?: string }
  | { type: 'media_sequence'; atMs: number; from: number; to: number }
  /** ffmpeg gave up on the input (e.g. "Error opening input", or the last words before exit). */
  | { type: 'fatal'; atMs: number; message: string };

/** One `-progress` block (fd 3). `outTimeUs` is the media time written so far. */
export interface ProgressEvent {
  type: 'progress';
  atMs: number;
  outTimeUs: number;
  speed?: number;
  totalSize?: number;
  frame?: number;
  end: boolean;
}

export type EmitClientOutput = (event: ClientOutputEvent) => void;
