import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, GUEST_PORTS, TAP_NETWORK } from '../../config/index.js';
import { loadProfiles } from '../generator.js';
import { guestFilesJson, renderGuestFiles } from './guest-files.js';
import { packageRoot } from './image.js';

/*
 * The Nix side (flake.nix, nix/**) cannot be built here (nixpkgs is unreachable), but Debian's
 * nix-bin parses every file and evaluates the pure data offline. This is the one test that fails
 * when the Nix and TypeScript definitions drift apart.
 */
const root = packageRoot();

function nixFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return nixFiles(path);
    return name.endsWith('.nix') ? [path] : [];
  });
}

function nix(args: string[]): string {
  // nix-bin warns about the missing nixbld group on stderr; only stdout is the answer.
  return execFileSync('nix-instantiate', args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('Nix definitions', () => {
  const files = [join(root, 'flake.nix'), ...nixFiles(join(root, 'nix'))];

  it('finds the flake, the MicroVM module and the pure config', () => {
    const relative = files.map((file) => file.slice(root.length + 1));
    expect(relative).toEqual(expect.arrayContaining(['flake.nix', 'nix/config.nix', 'nix/microvm.nix']));
  });

  it.each(files.map((file) => [file.slice(root.length + 1), file]))('%s parses', (_name, file) => {
    expect(() => nix(['--parse', file])).not.toThrow();
  });

  describe('nix/config.nix evaluated offline equals the TypeScript definitions', () => {
    const evaluated = JSON.parse(nix(['--eval', '--strict', '--json', join(root, 'nix/config.nix')])) as {
      ports: Record<string, number>;
      guestPorts: Record<string, number>;
      forwards: Array<{ name: string; host: number; guest: number }>;
      defaultForwardAddress: string;
      tap: Record<string, string>;
      tapPrefixLength: number;
      profiles: Record<string, Record<string, unknown>>;
      profileNames: string[];
      guestFiles: Record<string, { text: string; mode: number }>;
      nginxConf: string;
      generatorScripts: Record<string, string>;
    };

    it('ports (host and guest) and the seed forwards', () => {
      expect(evaluated.ports).toEqual(DEFAULT_PORTS);
      expect(evaluated.guestPorts).toEqual(GUEST_PORTS);
      expect(evaluated.forwards).toEqual([
        { name: 'http', host: DEFAULT_PORTS.originHttp, guest: GUEST_PORTS.http },
        { name: 'ssh', host: DEFAULT_PORTS.ssh, guest: GUEST_PORTS.ssh },
        { name: 'nginxExporter', host: DEFAULT_PORTS.nginxExporter, guest: GUEST_PORTS.nginxExporter },
        { name: 'nodeExporter', host: DEFAULT_PORTS.nodeExporter, guest: GUEST_PORTS.nodeExporter },
      ]);
      expect(evaluated.defaultForwardAddress).toBe('127.0.0.1');
    });

    it('TAP network', () => {
      expect(evaluated.tap).toEqual(TAP_NETWORK);
      expect(`/${evaluated.tapPrefixLength}`).toBe(TAP_NETWORK.subnet.slice(TAP_NETWORK.subnet.indexOf('/')));
    });

    it('generator profiles', () => {
      const profiles = Object.fromEntries(
        Object.entries(loadProfiles()).map(([name, { name: _name, ...profile }]) => [name, profile]),
      );
      expect(evaluated.profiles).toEqual(profiles);
      expect([...evaluated.profileNames].sort()).toEqual(Object.keys(profiles).sort());
    });

    it('nginx config and generator scripts (nix/generated/guest-files.json is current)', () => {
      const checkedIn = readFileSync(join(root, 'nix/generated/guest-files.json'), 'utf8');
      // On failure regenerate: node --import tsx nix/debian/render-guest-config.ts --json nix/generated/guest-files.json
      expect(checkedIn).toBe(guestFilesJson());
      const rendered = renderGuestFiles();
      expect(evaluated.guestFiles).toEqual(rendered);
      expect(evaluated.nginxConf).toBe(rendered['etc/hls/nginx.conf']?.text);
      for (const name of evaluated.profileNames) {
        expect(evaluated.generatorScripts[name]).toBe(rendered[`etc/hls/generator/${name}.sh`]?.text);
      }
    });
  });
});
