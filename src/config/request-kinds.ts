/*
 * The kinds of request a viewer makes, in the order reports list them. They live here, below
 * both the swarm (which classifies URLs into them: swarm/parse/classify.ts) and the report
 * (whose schema lists them), so that the report and Vitest's main process need not load the
 * engine to know them.
 */
export const REQUEST_KINDS = ['manifest', 'segment', 'init', 'other'] as const;

/** Classified by URL (never by ffmpeg's log tag). */
export type RequestKind = (typeof REQUEST_KINDS)[number];
