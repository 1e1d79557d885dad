// @ts-check
/*
 * What hls-swarm needs from the system, in one table shared by the test/load pre-scripts
 * (src/cli/bootstrap.mjs, plain Node so it runs before `npm ci`) and `hls-swarm doctor`.
 * Plain JavaScript on purpose: it must run with no dependencies installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * @typedef {{ binary: string; debianPackage: string; versionArgs?: string[]; versionPattern?: RegExp; purpose: string }} Requirement
 */

/** @type {Requirement[]} */
export const REQUIREMENTS = [
  {
    binary: 'ffmpeg',
    debianPackage: 'ffmpeg',
    versionArgs: ['-version'],
    versionPattern: /ffmpeg version (\S+)/,
    purpose: 'viewers and the stream generator',
  },
  {
    binary: 'ffprobe',
    debianPackage: 'ffmpeg',
    versionArgs: ['-version'],
    versionPattern: /ffprobe version (\S+)/,
    purpose: 'variant selection',
  },
  {
    binary: 'nginx',
    debianPackage: 'nginx',
    versionArgs: ['-v'],
    versionPattern: /nginx\/(\S+)/,
    purpose: 'the nginx origin',
  },
  {
    binary: 'prometheus-node-exporter',
    debianPackage: 'prometheus-node-exporter',
    versionArgs: ['--version'],
    versionPattern: /version (\S+)/,
    purpose: 'host metrics of the nginx origin',
  },
  {
    binary: 'prometheus-nginx-exporter',
    debianPackage: 'prometheus-nginx-exporter',
    versionArgs: ['-version'],
    versionPattern: /(?:Version|version)[:=]?\s*(\S+)/,
    purpose: 'nginx metrics of the nginx origin',
  },
  {
    binary: 'python3',
    debianPackage: 'python3',
    versionArgs: ['--version'],
    versionPattern: /Python (\S+)/,
    purpose: 'the python origin',
  },
  {
    binary: 'qemu-system-x86_64',
    debianPackage: 'qemu-system-x86',
    versionArgs: ['--version'],
    versionPattern: /version (\S+)/,
    purpose: 'the vm origin',
  },
  {
    binary: 'mmdebstrap',
    debianPackage: 'mmdebstrap',
    versionArgs: ['--version'],
    versionPattern: /mmdebstrap (\S+)/,
    purpose: 'building the Debian guest and container base image',
  },
  {
    binary: 'mke2fs',
    debianPackage: 'e2fsprogs',
    versionArgs: ['-V'],
    versionPattern: /mke2fs (\S+)/,
    purpose: 'the vm origin disk image',
  },
  {
    binary: 'docker',
    debianPackage: 'docker.io',
    versionArgs: ['--version'],
    versionPattern: /version (\S+?),?\s/,
    purpose: 'the container origin (client)',
  },
  {
    binary: 'dockerd',
    debianPackage: 'docker.io',
    versionArgs: ['--version'],
    versionPattern: /version (\S+?),?\s/,
    purpose: 'the container origin tests (engine)',
  },
  {
    binary: 'nix',
    debianPackage: 'nix-bin',
    versionArgs: ['--version'],
    versionPattern: /(\d+\.\d+\S*)/,
    purpose: 'the Nix flake (nix run .#test-origin-vm)',
  },
  {
    binary: 'nix-instantiate',
    debianPackage: 'nix-bin',
    versionArgs: ['--version'],
    versionPattern: /(\d+\.\d+\S*)/,
    purpose: 'checking the Nix definitions',
  },
  {
    binary: 'ip',
    debianPackage: 'iproute2',
    versionArgs: ['-V'],
    versionPattern: /iproute2-([\d.]+)/,
    purpose: 'network namespaces for TAP tests',
  },
  { binary: 'ss', debianPackage: 'iproute2', purpose: 'naming the process that holds a busy port' },
  { binary: 'ps', debianPackage: 'procps', purpose: 'process checks in tests' },
  {
    binary: 'tmux',
    debianPackage: 'tmux',
    versionArgs: ['-V'],
    versionPattern: /tmux (\S+)/,
    purpose: 'a real terminal for the live dashboard test',
  },
  {
    binary: 'chromium',
    debianPackage: 'chromium',
    versionArgs: ['--version'],
    versionPattern: /Chromium (\S+)/,
    purpose: 'opening the HTML reports in the browser tests',
  },
  {
    binary: 'prometheus',
    debianPackage: 'prometheus',
    versionArgs: ['--version'],
    versionPattern: /prometheus, version (\S+)/,
    purpose: 'scraping shards with a real Prometheus in the prometheus-config test',
  },
  {
    binary: 'promtool',
    debianPackage: 'prometheus',
    versionArgs: ['--version'],
    versionPattern: /promtool, version (\S+)/,
    purpose: 'checking generated Prometheus configs in the prometheus-config test',
  },
];

/** Which binaries each origin kind needs (the swarm itself needs ffmpeg and ffprobe). */
export const ORIGIN_NEEDS = {
  python: ['ffmpeg', 'ffprobe', 'python3'],
  nginx: ['ffmpeg', 'ffprobe', 'nginx', 'prometheus-node-exporter', 'prometheus-nginx-exporter'],
  vm: ['ffmpeg', 'ffprobe', 'qemu-system-x86_64', 'mmdebstrap', 'mke2fs'],
  container: ['ffmpeg', 'ffprobe', 'docker'],
  external: ['ffmpeg', 'ffprobe'],
};

/** The origin a load test file gets when it names none (hls-swarm/vitest DEFAULT_ORIGIN_SPEC). */
export const DEFAULT_ORIGIN = 'python';

/** What each README command needs installed. */
export const NEEDS_FOR = {
  load: [...new Set([...ORIGIN_NEEDS.python, ...ORIGIN_NEEDS.nginx])],
  test: REQUIREMENTS.map((r) => r.binary),
};

/**
 * Absolute path of a binary on PATH, or in the `sbin` beside each `bin` on PATH (Debian keeps
 * nginx and dockerd in /usr/sbin, which is not on a normal user's PATH), or undefined.
 * A PATH without a binary's folder means no binary: tests rely on that.
 * @param {string} binary @param {NodeJS.ProcessEnv} [env]
 */
export function locate(binary, env = process.env) {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const withSbin = [
    ...new Set(
      dirs.flatMap((dir) => (/\/bin\/?$/.test(dir) ? [dir, dir.replace(/\/bin\/?$/, '/sbin')] : [dir])),
    ),
  ];
  for (const dir of withSbin) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** The version a binary prints, or 'installed' if it prints none we recognise. @param {Requirement} req @param {string} path */
export function versionOf(req, path) {
  if (!req.versionArgs) return 'installed';
  const result = spawnSync(path, req.versionArgs, { encoding: 'utf8', timeout: 10_000 });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const match = req.versionPattern?.exec(text);
  return match ? (match.slice(1).find(Boolean) ?? 'installed') : text.split('\n')[0]?.trim() || 'installed';
}

/** Debian packages providing the missing binaries among `binaries`. @param {string[]} binaries @param {NodeJS.ProcessEnv} [env] */
export function missingPackages(binaries, env = process.env) {
  const packages = new Set();
  for (const binary of binaries) {
    const req = REQUIREMENTS.find((r) => r.binary === binary);
    if (req && !locate(binary, env)) packages.add(req.debianPackage);
  }
  return [...packages];
}

/** The exact command that installs `packages`. @param {string[]} packages */
export function installCommand(packages) {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return `${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/**
 * Installs Debian packages with apt-get (as root, or through sudo without a password prompt).
 * Services that the packages would start (nginx on :80, node-exporter on :9100) are kept from
 * starting with a temporary policy-rc.d: hls-swarm starts its own instances on 127.0.0.1.
 * Returns { ok, message }.
 * @param {string[]} packages
 * @param {(line: string) => void} [log]
 */
export function aptInstall(packages, log = (line) => process.stderr.write(`${line}\n`)) {
  if (packages.length === 0) return { ok: true, message: 'nothing to install' };
  const isRoot = process.getuid?.() === 0;
  const canSudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!isRoot && !canSudo) {
    return {
      ok: false,
      message: `cannot install without root or passwordless sudo; run: ${installCommand(packages)}`,
    };
  }
  if (!locate('apt-get'))
    return { ok: false, message: `apt-get not found; install these packages by hand: ${packages.join(' ')}` };
  const run = (/** @type {string[]} */ args) => {
    const command = isRoot ? args : ['sudo', '-n', ...args];
    log(`$ ${command.join(' ')}`);
    execFileSync(command[0] ?? 'apt-get', command.slice(1), {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = isRoot && !existsSync(policy);
  try {
    if (addedPolicy)
      writeFileSync(policy, '#!/bin/sh\n# added by hls-swarm during apt-get install\nexit 101\n', {
        mode: 0o755,
      });
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
    return { ok: true, message: `installed ${packages.join(' ')}` };
  } catch (error) {
    return {
      ok: false,
      message: `apt-get failed (${error instanceof Error ? error.message : String(error)}); run: ${installCommand(packages)}`,
    };
  } finally {
    if (addedPolicy) rmSync(policy, { force: true });
  }
}
