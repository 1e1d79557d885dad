#!/usr/bin/env node
// @ts-check
/*
 * Pre-script of `npm test` and `npm run load`: installs what is missing so that, on a fresh
 * Debian/Ubuntu machine with Node >= 20.19, nothing needs to be typed before those commands.
 *  1. npm dependencies (npm ci) when node_modules is missing or older than the lock file;
 *  2. Debian packages (apt-get) for the binaries the command needs.
 * Plain Node with no dependencies, since it runs before they exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, missingPackages, NEEDS_FOR } from '../system/requirements.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const purpose = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'test';
if (purpose !== 'test' && purpose !== 'load') {
  process.stderr.write(`bootstrap: --for must be 'test' or 'load', got ${purpose}\n`);
  process.exit(2);
}

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(
    `hls-swarm needs Node >= 20.19; this is ${process.version}. Install a newer Node and retry.\n`,
  );
  process.exit(1);
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stderr.write('bootstrap: installing npm dependencies (npm ci)\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

const packages = missingPackages(NEEDS_FOR[purpose]);
if (packages.length > 0) {
  process.stderr.write(`bootstrap: missing Debian packages for '${purpose}': ${packages.join(' ')}\n`);
  const result = aptInstall(packages);
  process.stderr.write(`bootstrap: ${result.message}\n`);
  if (!result.ok) process.exit(1);
  const still = missingPackages(NEEDS_FOR[purpose]);
  if (still.length > 0) {
    process.stderr.write(`bootstrap: still missing after install: ${still.join(' ')}\n`);
    process.exit(1);
  }
}
