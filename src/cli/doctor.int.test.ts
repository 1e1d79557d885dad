import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { locate, REQUIREMENTS } from '../system/requirements.mjs';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function doctor(args: string[], env: NodeJS.ProcessEnv) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, 'doctor', ...args], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A PATH holding links to every required binary this machine has, except `hidden`. */
function pathWithout(hidden: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-doctor-'));
  created.push(dir);
  for (const req of REQUIREMENTS) {
    const path = locate(req.binary);
    if (path && !hidden.includes(req.binary)) symlinkSync(path, join(dir, req.binary));
  }
  // npx/tsx are not needed: node runs main.ts directly with --import tsx.
  return dir;
}

const created: string[] = [];
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

describe('hls-swarm doctor (real binaries of this machine)', () => {
  it('reports the installed versions truthfully and exits 0 when the default origin can run', () => {
    const { code, stdout } = doctor(['--json'], { ...process.env, PATH: pathWithout([]) });
    const findings = JSON.parse(stdout) as {
      tools: { name: string; version?: string; path?: string }[];
      defaultOriginReady: boolean;
    };
    const ffmpegVersion = /ffmpeg version (\S+)/.exec(
      spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout,
    )?.[1];
    expect(findings.tools.find((tool) => tool.name === 'ffmpeg')?.version).toBe(ffmpegVersion);
    expect(findings.defaultOriginReady).toBe(true);
    expect(code).toBe(0);
  });

  it('without ffmpeg on PATH says so, names the install command and exits 1', () => {
    const { code, stdout } = doctor([], { ...process.env, PATH: pathWithout(['ffmpeg', 'ffprobe']) });
    expect(stdout).toMatch(/ffmpeg\s+missing/);
    expect(stdout).toContain('cannot run (default): missing ffmpeg, ffprobe');
    expect(stdout).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
    expect(code).toBe(1);
  });

  it('--fix with nothing missing installs nothing', () => {
    const { code, stderr } = doctor(['--fix'], process.env);
    // On a machine that lacks optional tools, --fix installs them; either way it says what it did.
    expect(stderr).toMatch(/doctor --fix: (nothing to install|installed )/);
    expect(code).toBe(0);
  });

  it('rejects an unknown option as a usage error (exit 2)', () => {
    const { code, stderr } = doctor(['--frobnicate'], process.env);
    expect(stderr).toContain("Unknown option '--frobnicate'");
    expect(code).toBe(2);
  });
});
