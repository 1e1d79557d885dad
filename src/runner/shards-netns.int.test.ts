import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAccessLog } from '../metrics/index.js';
import { readReportFile } from '../report/index.js';
import type { OwnedProcess } from '../system/index.js';
import { cliInNamespace, ip, originInNamespace, pidsIn } from '../system/test/netns.js';
import { waitUntil } from '../system/test/processes.js';
import { mergeShardReports } from './index.js';

/*
 * Shards as separate hosts: three shard namespaces and an origin namespace on one bridge (in a
 * namespace of its own), all made by this test — the private addresses exist only inside them,
 * the host namespace never sees them. nginx serves the live stream at 10.233.0.1 in the origin
 * namespace; each shard runs `hls-swarm run --shard i/3` in its namespace at 10.233.0.1{1,2,3},
 * aligned on one --start-at. The merge must count exactly what nginx logged, every request must
 * come from the address of the shard that owns its viewer, and the viewers must start in the
 * plan's order across hosts. Nothing is left: the namespaces hold no process and are deleted.
 */

const tag = `${process.pid % 100_000}`;
const NS = {
  bridge: `hs-br-${tag}`,
  origin: `hs-origin-${tag}`,
  shards: [0, 1, 2].map((index) => `hs-shard${index}-${tag}`),
};
const ORIGIN_IP = '10.233.0.1';
const shardIp = (index: number) => `10.233.0.${11 + index}`;
const CLIENTS = 6;
const RATE = 2;

/** One host: a namespace with a veth to the bridge and `address/24`. */
function addHost(ns: string, veth: string, address: string): void {
  ip('netns', 'add', ns);
  ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}b`);
  ip('link', 'set', veth, 'netns', ns);
  ip('link', 'set', `${veth}b`, 'netns', NS.bridge);
  ip('-n', NS.bridge, 'link', 'set', `${veth}b`, 'master', 'br0');
  ip('-n', NS.bridge, 'link', 'set', `${veth}b`, 'up');
  ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', veth);
  ip('-n', ns, 'link', 'set', veth, 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
}

function ourNamespaces(): string[] {
  const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return [NS.bridge, NS.origin, ...NS.shards].filter((ns) => listed.includes(ns));
}

let origin: OwnedProcess | undefined;
let accessLog = '';

beforeAll(async () => {
  ip('netns', 'add', NS.bridge);
  ip('-n', NS.bridge, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', NS.bridge, 'link', 'set', 'br0', 'up');
  addHost(NS.origin, `hso${tag}`, ORIGIN_IP);
  for (const [index, ns] of NS.shards.entries()) addHost(ns, `hs${index}${tag}`, shardIp(index));
  ({ origin, accessLog } = await originInNamespace(NS.origin, [
    '--kind',
    'nginx',
    '--profile',
    'tiny',
    '--port',
    '8080',
    '--bind',
    ORIGIN_IP,
    '--no-exporters',
  ]));
}, 120_000);

afterAll(async () => {
  await origin?.stop(10_000);
  await waitUntil(() => pidsIn(NS.origin).length === 0, 10_000);
  expect(pidsIn(NS.origin)).toEqual([]);
  for (const ns of ourNamespaces()) ip('netns', 'del', ns);
  expect(ourNamespaces()).toEqual([]);
});

describe('shards on separate hosts (network namespaces)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hls-swarm-shards-netns-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('three hosts, one start time: the merge counts what nginx logged, each request from its shard’s address, the ramp in plan order', async () => {
    const url = `http://${ORIGIN_IP}:8080/stream.m3u8`;
    const startAtMs = Date.now() + 10_000;
    const shards = NS.shards.map((ns, index) =>
      cliInNamespace(
        ns,
        [
          'run',
          url,
          '--allow-remote',
          '--clients',
          String(CLIENTS),
          '--ramp-rate',
          String(RATE),
          '--duration',
          '12s',
          '--metrics',
          '0',
          '--shard',
          `${index}/3`,
          '--start-at',
          String(startAtMs),
          '--report',
          join(dir, `netns.shard-${index}-of-3.json`),
        ],
        120_000,
      ),
    );
    const results = await Promise.all(shards.map((shard) => shard.subprocess));
    for (const result of results) expect(result.exitCode, String(result.stderr)).toBe(0);
    // Each shard's watchdog (system/reaper.ts) outlives it by its grace period (2 s), then goes.
    await waitUntil(() => NS.shards.every((ns) => pidsIn(ns).length === 0), 10_000);
    for (const ns of NS.shards) expect(pidsIn(ns)).toEqual([]);

    const files = await Promise.all(
      [0, 1, 2].map(async (index) => {
        const path = join(dir, `netns.shard-${index}-of-3.json`);
        return { path, report: await readReportFile(path) };
      }),
    );
    const merged = mergeShardReports(files);
    expect(merged.verdict, merged.reason).toBe('pass');
    expect(merged.shards?.merged.map((entry) => entry.index)).toEqual([0, 1, 2]);
    expect(merged.swarm?.clientsStarted).toBe(CLIENTS);

    const text = await readFile(accessLog, 'utf8');
    const entries = parseAccessLog(text, Date.now()).filter((entry) =>
      /\/client-\d+$/.test(entry.userAgent ?? ''),
    );
    const count = (kind: string) => entries.filter((entry) => entry.kind === kind).length;
    expect(merged.swarm?.requests.segment.total).toBe(count('segment'));
    expect(merged.swarm?.requests.manifest.total).toBe(count('manifest'));

    // Every request of viewer id came from shard (id mod 3)'s address.
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { remote_addr: string; user_agent?: string; msec: number });
    const byViewer = new Map<number, { addresses: Set<string>; firstMs: number }>();
    for (const line of lines) {
      const id = Number(/\/client-(\d+)$/.exec(line.user_agent ?? '')?.[1] ?? Number.NaN);
      if (Number.isNaN(id)) continue;
      const seen = byViewer.get(id) ?? { addresses: new Set<string>(), firstMs: Number.POSITIVE_INFINITY };
      seen.addresses.add(line.remote_addr);
      seen.firstMs = Math.min(seen.firstMs, Number(line.msec) * 1000);
      byViewer.set(id, seen);
    }
    expect([...byViewer.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [id, seen] of byViewer) expect([...seen.addresses]).toEqual([shardIp(id % 3)]);
    // The plan starts one viewer every 500 ms across the three hosts: their first requests
    // reach nginx in id order.
    const order = [...byViewer.entries()].sort((a, b) => a[1].firstMs - b[1].firstMs).map(([id]) => id);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  }, 120_000);
});
