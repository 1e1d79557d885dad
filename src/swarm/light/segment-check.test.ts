import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fmp4Validator, type SegmentValidator, segmentValidatorFor, TsValidator } from './segment-check.js';

// Recorded by fixtures/record/light-segments.ts: a `tiny` MPEG-TS segment, an fMP4 init section
// and media segment from ffmpeg's HLS muxer.
const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../fixtures/light/${name}`, import.meta.url)));
const ts = fixture('tiny-segment.ts');
const init = fixture('fmp4-init.mp4');
const m4s = fixture('fmp4-segment.m4s');

/** Feeds `bytes` in chunks of `size` (a body arrives in pieces of any size). */
function check(validator: SegmentValidator, bytes: Uint8Array, size = bytes.length): string | undefined {
  for (let offset = 0; offset < bytes.length; offset += size)
    validator.push(bytes.subarray(offset, offset + size));
  return validator.end();
}

describe('MPEG-TS validation', () => {
  it('accepts a real segment in any chunking', () => {
    for (const size of [ts.length, 1, 7, 187, 188, 189, 1000, 65536])
      expect(check(new TsValidator(), ts, size)).toBeUndefined();
  });

  it('reports a missing sync byte with its position', () => {
    const broken = ts.slice();
    broken[188 * 5] = 0x00;
    expect(check(new TsValidator(), broken, 100)).toBe(
      'MPEG-TS sync byte missing at byte 940 (0x00 instead of 0x47)',
    );
  });

  it('reports a body cut mid-packet, and an empty one', () => {
    expect(check(new TsValidator(), ts.subarray(0, ts.length - 100))).toBe(
      'MPEG-TS ends mid-packet: 88 bytes past the last whole 188-byte packet',
    );
    expect(new TsValidator().end()).toBe('empty segment');
  });
});

describe('fMP4 box-header validation', () => {
  it('accepts a real init section and media segment in any chunking', () => {
    for (const bytes of [init, m4s])
      for (const size of [bytes.length, 1, 3, 8, 9, 100, 4096])
        expect(check(new Fmp4Validator(), bytes, size)).toBeUndefined();
  });

  it('reports a truncated box', () => {
    expect(check(new Fmp4Validator(), m4s.subarray(0, m4s.length - 10), 512)).toMatch(
      /^fMP4 box ends at byte \d+ but the body ends at byte \d+ \(truncated\)$/,
    );
  });

  it('reports a box type that is not ASCII and a size below the header', () => {
    const badType = m4s.slice();
    badType[4] = 0x01;
    expect(check(new Fmp4Validator(), badType)).toBe(
      'fMP4 box at byte 0 has a type that is not four ASCII characters',
    );
    const badSize = m4s.slice();
    badSize.set([0, 0, 0, 4], 0);
    expect(check(new Fmp4Validator(), badSize)).toBe('fMP4 box at byte 0 declares a size of 4 (< 8)');
  });

  it('reports TS bytes served as fMP4', () => {
    expect(check(new Fmp4Validator(), ts)).toMatch(/^fMP4 box at byte 0/);
  });
});

describe('which validator', () => {
  it('by role and extension, sniffing TS when the extension says nothing', () => {
    expect(segmentValidatorFor('http://h/init.mp4', true)).toBeInstanceOf(Fmp4Validator);
    expect(segmentValidatorFor('http://h/seg_1.ts?token=x', false)).toBeInstanceOf(TsValidator);
    expect(segmentValidatorFor('http://h/seg_1.m4s', false)).toBeInstanceOf(Fmp4Validator);
    const sniffed = segmentValidatorFor('http://h/segment/1', false);
    expect(check(sniffed, ts.subarray(0, 1000))).toMatch(/^MPEG-TS ends mid-packet/);
    expect(check(segmentValidatorFor('http://h/audio.aac', false), init)).toBeUndefined();
  });
});
