import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { followScriptOutput, spawnOwned } from '../../system/index.js';
import { OriginStartError } from '../errors.js';

/*
 * The default guest of the `vm` origin: the Debian image built by nix/debian/build-vm-image.sh
 * (cached under /var/cache/hls-swarm keyed on its inputs; a cold build takes 1-7 minutes on a
 * loaded 2-core machine). The script prints KEY=path lines on stdout and progress on stderr.
 */

export interface GuestImage {
  kernel: string;
  initrd?: string;
  disk: string;
  /** Versions of the guest's packages (ffmpeg, nginx, exporters, kernel) when the build recorded them. */
  versions: Record<string, string>;
}

/** The repository (or installed package) root: src/origin/vm → ../../.. (dist/origin/vm likewise). */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

export function buildScriptPath(): string {
  return join(packageRoot(), 'nix/debian/build-vm-image.sh');
}

/** Reads `versions.json` next to a disk image, if any. */
export function readImageVersions(disk: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(join(dirname(disk), 'versions.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '',
      ),
    );
  } catch {
    return {};
  }
}

/** Parses the KEY=value lines the build scripts print. */
export function parseEnvLines(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) values[match[1] as string] = match[2] as string;
  }
  return values;
}

/**
 * Builds (or reuses from the cache) the Debian guest and returns its files. Progress lines of
 * the build go to `onProgress` (default: stderr), since a cold build is long.
 */
export async function ensureDebianGuestImage(
  options: { onProgress?: (line: string) => void; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<GuestImage> {
  const script = buildScriptPath();
  if (!existsSync(script)) {
    throw new OriginStartError(
      `vm origin: the guest build script ${script} is missing; give origin.image instead`,
      {
        kind: 'vm',
        part: 'image',
      },
    );
  }
  const onProgress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const outDir = mkdtempSync(join(tmpdir(), 'hls-swarm-vm-image-'));
  try {
    const build = spawnOwned(script, [outDir], {
      env: options.env ?? process.env,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      cwd: packageRoot(),
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    const output = followScriptOutput(build.subprocess, (line) => {
      // mmdebstrap is chatty: show our own steps and its stage lines only.
      if (/^\[build-|^I: /.test(line)) onProgress(line);
    });
    const exit = await build.exited;
    if (exit.exitCode !== 0) {
      throw new OriginStartError(
        `vm origin: building the Debian guest failed (${script} ${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`})`,
        { kind: 'vm', part: 'image', logTail: output.recentStderr.join('\n'), logFile: 'the build output' },
      );
    }
    const values = parseEnvLines(output.stdout);
    if (!values.KERNEL || !values.DISK) {
      throw new OriginStartError(`vm origin: ${script} printed no KERNEL=/DISK= lines`, {
        kind: 'vm',
        part: 'image',
      });
    }
    return {
      kernel: values.KERNEL,
      ...(values.INITRD ? { initrd: values.INITRD } : {}),
      disk: values.DISK,
      versions: readImageVersions(values.DISK),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
