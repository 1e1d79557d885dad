import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { swarmSchema } from '../../config/index.js';
import { buildClientCommand, capabilitiesFromProbe, inputUrlOf, withInputUrl } from '../command/index.js';
import { defaultMaxHeldViewers, firstStartsOf, trickleIntervalMsFor } from './limits.js';
import { ARRIVAL_LEAD_MS, type PlannedStart, ViewerPreparer } from './prepare.js';

const read = (name: string) =>
  readFileSync(new URL(`../../../fixtures/ffmpeg/${name}`, import.meta.url), 'utf8');

/** `count` starts, `intervalMs` apart, from 0. */
function evenStarts(count: number, intervalMs: number): PlannedStart[] {
  return Array.from({ length: count }, (_, clientId) => ({ clientId, atMs: clientId * intervalMs }));
}

function preparerFor(starts: PlannedStart[], maxStarting: number, maxHeld: number) {
  const clock = { nowMs: 0 };
  const spawned: number[] = [];
  const preparer = new ViewerPreparer({
    starts,
    maxStarting,
    maxHeld,
    spawn: (clientId) => spawned.push(clientId),
    now: () => clock.nowMs,
  });
  return { preparer, spawned, clock };
}

describe('ViewerPreparer', () => {
  it('spawns in plan order, at most maxStarting not yet at the gate', () => {
    const { preparer, spawned } = preparerFor(evenStarts(10, 100), 2, 100);
    preparer.pump();
    expect(spawned).toEqual([0, 1]);
    preparer.arrived(1);
    expect(spawned).toEqual([0, 1, 2]);
    preparer.arrived(0);
    expect(spawned).toEqual([0, 1, 2, 3]);
    expect(preparer.startingCount).toBe(2);
    expect(preparer.heldCount).toBe(2);
  });

  it('keeps starting + held within maxHeld, and spawns again as viewers are released', () => {
    const { preparer, spawned } = preparerFor(evenStarts(10, 100), 4, 3);
    preparer.pump();
    expect(spawned).toEqual([0, 1, 2]);
    for (const id of [0, 1, 2]) preparer.arrived(id);
    expect(spawned).toEqual([0, 1, 2]);
    expect(preparer.heldBoundReached).toBe(true);
    preparer.released(0);
    expect(spawned).toEqual([0, 1, 2, 3]);
  });

  it('covers the plan only when every viewer still to come arrives, at half the measured rate, before its start', () => {
    // 600 viewers at 100/s; arrivals at 20/s: the run may start once ~5/6 of them wait.
    const starts = evenStarts(600, 10);
    const { preparer, clock } = preparerFor(starts, 600, 1000);
    preparer.pump();
    let arrived = 0;
    while (!preparer.coversPlan() && arrived < 600) {
      clock.nowMs += 50;
      preparer.arrived(arrived++);
    }
    // Measured rate 20/s, assumed 10/s: viewer i (i ≥ k) arrives (i−k+1)·100 ms + 250 ms in,
    // due at i·10 ms, so k ≥ (0.9·599 + 1 + 25/10)…: the bound below is that algebra.
    expect(arrived).toBeGreaterThanOrEqual(Math.ceil(599 - (599 * 10 - ARRIVAL_LEAD_MS) / 100 + 1));
    expect(arrived).toBeLessThan(600);
  });

  it('covers a slow plan with the first viewer at the gate', () => {
    const { preparer, clock } = preparerFor(evenStarts(3, 1000), 2, 100);
    preparer.pump();
    expect(preparer.coversPlan()).toBe(false);
    clock.nowMs = 100;
    preparer.arrived(0);
    expect(preparer.coversPlan()).toBe(true);
  });

  it('never spawns a viewer forgotten before its spawn, and frees the slot of one forgotten while starting', () => {
    const { preparer, spawned } = preparerFor(evenStarts(4, 100), 1, 100);
    preparer.pump();
    expect(spawned).toEqual([0]);
    preparer.forget(2);
    preparer.forget(0);
    expect(spawned).toEqual([0, 1]);
    preparer.arrived(1);
    expect(spawned).toEqual([0, 1, 3]);
    expect(preparer.isPending(3)).toBe(false);
    expect(preparer.isGated(2)).toBe(true);
  });

  it('does nothing after stop()', () => {
    const { preparer, spawned } = preparerFor(evenStarts(4, 100), 1, 100);
    preparer.stop();
    preparer.pump();
    expect(spawned).toEqual([]);
  });
});

describe('gate limits', () => {
  it('trickles a third of -rw_timeout, within 100 ms and 5 s', () => {
    expect(trickleIntervalMsFor(15_000)).toBe(5000);
    expect(trickleIntervalMsFor(3000)).toBe(1000);
    expect(trickleIntervalMsFor(150)).toBe(100);
    expect(trickleIntervalMsFor(0)).toBe(5000);
  });

  it('bounds held viewers by 60 % of the available memory at 20 MB each', () => {
    expect(defaultMaxHeldViewers(20 * 1024 ** 3)).toBe(614);
    expect(defaultMaxHeldViewers(0)).toBe(1);
  });

  it('gates only the first start of each client', () => {
    const starts = firstStartsOf([
      { clientId: 0, atMs: 0, action: 'start' },
      { clientId: 1, atMs: 10, action: 'start' },
      { clientId: 1, atMs: 20, action: 'stop' },
      { clientId: 1, atMs: 30, action: 'start' },
    ]);
    expect(starts).toEqual([
      { clientId: 0, atMs: 0 },
      { clientId: 1, atMs: 10 },
    ]);
  });
});

describe('gated command', () => {
  it('is the viewer command reading the gate URL, everything else kept', () => {
    const command = buildClientCommand({
      url: 'http://origin.test:8080/live/stream.m3u8?token=abc',
      clientId: 7,
      spec: swarmSchema.parse({ clients: 1, resolve: '127.0.0.1', headers: { 'X-Team': 'video' } }),
      capabilities: capabilitiesFromProbe('/usr/bin/ffmpeg', {
        version: read('ffmpeg-version.txt'),
        hlsDemuxerHelp: read('ffmpeg-h-demuxer-hls.txt'),
        httpProtocolHelp: read('ffmpeg-h-protocol-http.txt'),
        datetimeProbe: read('ffmpeg-datetime-probe.txt'),
      }),
      toolVersion: '0.1.0',
    });
    const gated = withInputUrl(command, 'http://127.0.0.1:4000/v/7/live/stream.m3u8?token=abc');
    expect(inputUrlOf(command)).toBe('http://127.0.0.1:8080/live/stream.m3u8?token=abc');
    expect(inputUrlOf(gated)).toBe('http://127.0.0.1:4000/v/7/live/stream.m3u8?token=abc');
    const differing = gated.args.filter((arg, index) => arg !== command.args[index]);
    expect(differing).toEqual(['http://127.0.0.1:4000/v/7/live/stream.m3u8?token=abc']);
    expect(gated.printable).not.toContain('abc');
  });
});
