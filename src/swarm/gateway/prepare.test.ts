import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { swarmSchema } from '../../config/index.js';
import { buildClientCommand, capabilitiesFromProbe, inputUrlOf, withInputUrl } from '../command/index.js';
import { defaultMaxHeldViewers, firstStartsOf, trickleIntervalMsFor } from './limits.js';
import { type PlannedStart, ViewerPreparer } from './prepare.js';

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

  it('says when every gated viewer has reached the gate, and measures the arrival rate', () => {
    const { preparer, clock } = preparerFor(evenStarts(3, 1000), 2, 100);
    preparer.pump();
    expect(preparer.allArrived).toBe(false);
    expect(preparer.arrivalRatePerSecond()).toBe(0);
    clock.nowMs = 500;
    preparer.arrived(0);
    preparer.arrived(1);
    clock.nowMs = 1000;
    preparer.arrived(2);
    // A viewer that comes back to the gate (it died while held) is not counted twice.
    preparer.arrived(2);
    expect(preparer.allArrived).toBe(true);
    expect(preparer.arrivalRatePerSecond()).toBe(3);
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
