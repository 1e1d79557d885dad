import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OwnedProcess } from '../../system/index.js';
import { describeExit } from '../wait/index.js';

/*
 * Whether KVM boots guests on this host. `/dev/kvm` can exist while guests hang before the first
 * BIOS byte (nested virtualisation), so `accel: auto` probes once and remembers the verdict: in
 * this process, and in the cache folder for the current boot of the host (keyed on its boot_id),
 * so the 15 s probe is paid once per machine boot, not once per test. The saved verdict is read
 * on first use, not when this module is imported.
 */

/** A KVM guest that prints nothing on its console within this time is taken as "KVM does not work here". */
export const KVM_PROBE_MS = 15_000;

/** undefined: not known yet; `read` false: the saved verdict has not been read yet. */
const verdict: { read: boolean; kvmBootsGuests: boolean | undefined } = {
  read: false,
  kvmBootsGuests: undefined,
};

function kvmVerdictPath(): string {
  return join(process.env.HLS_SWARM_CACHE ?? '/var/cache/hls-swarm', 'kvm-verdict.json');
}

function hostBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function readSavedVerdict(): boolean | undefined {
  try {
    const saved = JSON.parse(readFileSync(kvmVerdictPath(), 'utf8')) as {
      bootId?: string;
      kvmBootsGuests?: boolean;
    };
    return saved.bootId === hostBootId() && typeof saved.kvmBootsGuests === 'boolean'
      ? saved.kvmBootsGuests
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether KVM booted a guest here since the host booted: true, false, or undefined (never tried). */
export function kvmBootsGuests(): boolean | undefined {
  if (!verdict.read) {
    verdict.kvmBootsGuests = readSavedVerdict();
    verdict.read = true;
  }
  return verdict.kvmBootsGuests;
}

export function rememberKvmVerdict(works: boolean): void {
  verdict.kvmBootsGuests = works;
  verdict.read = true;
  try {
    mkdirSync(dirname(kvmVerdictPath()), { recursive: true });
    writeFileSync(kvmVerdictPath(), `${JSON.stringify({ bootId: hostBootId(), kvmBootsGuests: works })}\n`);
  } catch {
    // Not writable: the verdict lives in this process only.
  }
}

export function kvmAccessible(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The accelerator to boot with: `auto` is KVM where /dev/kvm is usable and not known to hang. */
export function chooseAccel(wanted: 'auto' | 'kvm' | 'tcg'): 'kvm' | 'tcg' {
  if (wanted !== 'auto') return wanted;
  return kvmBootsGuests() !== false && kvmAccessible() ? 'kvm' : 'tcg';
}

/** Whether an `auto` boot under KVM must be probed (no verdict yet for this host boot). */
export function kvmNeedsProbe(wanted: 'auto' | 'kvm' | 'tcg', accel: 'kvm' | 'tcg'): boolean {
  return wanted === 'auto' && accel === 'kvm' && kvmBootsGuests() === undefined;
}

/**
 * Watches a KVM guest's console for up to KVM_PROBE_MS: anything printed means KVM boots guests
 * here. Returns undefined when it booted, else why not ("printed nothing in 15 s", "QEMU exited
 * with code 1"). The verdict is remembered either way.
 */
export async function probeKvmBoot(qemu: OwnedProcess, consoleLog: string): Promise<string | undefined> {
  const probeEnd = Date.now() + KVM_PROBE_MS;
  while (Date.now() < probeEnd && qemu.running && fileSize(consoleLog) === 0) await sleep(250);
  const booted = fileSize(consoleLog) > 0;
  rememberKvmVerdict(booted);
  if (booted) return undefined;
  return qemu.running ? `printed nothing in ${KVM_PROBE_MS / 1000} s` : `QEMU ${describeExit(qemu.exit)}`;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
