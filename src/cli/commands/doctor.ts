import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  aptInstall,
  DEFAULT_ORIGIN,
  installCommand,
  locate,
  missingPackages,
  ORIGIN_NEEDS,
  REQUIREMENTS,
  versionOf,
} from '../../system/requirements.mjs';

export const usage = `Usage: hls-swarm doctor [--fix] [--json]

Prints the versions of the programs hls-swarm uses, says which origin kinds can run on this
machine, and exits 1 when the default origin (${DEFAULT_ORIGIN}) cannot, naming the install command.
  --fix    install the missing Debian packages with apt-get (needs root or passwordless sudo)
  --json   print the findings as JSON`;

interface ToolFinding {
  name: string;
  path?: string;
  version?: string;
  debianPackage: string;
  purpose: string;
}

type OriginKindName = keyof typeof ORIGIN_NEEDS;

interface OriginFinding {
  kind: OriginKindName;
  ready: boolean;
  missing: string[];
  note?: string;
}

export interface DoctorFindings {
  node: string;
  tools: ToolFinding[];
  origins: OriginFinding[];
  defaultOrigin: OriginKindName;
  defaultOriginReady: boolean;
  installCommand?: string;
}

/** Whether a container engine answers (the docker CLI talks to DOCKER_HOST or the default socket). */
function containerEngineAnswers(): { ok: boolean; detail: string } {
  const docker = locate('docker');
  if (!docker) return { ok: false, detail: 'docker CLI not installed' };
  const result = spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    timeout: 8000,
  });
  if (result.status === 0 && result.stdout.trim())
    return { ok: true, detail: `engine ${result.stdout.trim()} answers` };
  return {
    ok: false,
    detail: 'no container engine answers (start dockerd, or point DOCKER_HOST at Docker/Podman)',
  };
}

function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Inspects this machine; pure of side effects apart from running `--version`s. */
export function inspectMachine(env: NodeJS.ProcessEnv = process.env): DoctorFindings {
  const tools: ToolFinding[] = REQUIREMENTS.map((req) => {
    const path = locate(req.binary, env);
    return {
      name: req.binary,
      debianPackage: req.debianPackage,
      purpose: req.purpose,
      ...(path ? { path, version: versionOf(req, path) } : {}),
    };
  });
  const have = new Set(tools.filter((tool) => tool.path).map((tool) => tool.name));
  const origins: OriginFinding[] = (Object.keys(ORIGIN_NEEDS) as OriginKindName[]).map((kind) => {
    const missing = ORIGIN_NEEDS[kind].filter((binary) => !have.has(binary));
    const finding: OriginFinding = { kind, ready: missing.length === 0, missing };
    if (kind === 'vm' && finding.ready) {
      finding.note = kvmUsable()
        ? '/dev/kvm is accessible (accel auto tries KVM, falls back to TCG)'
        : 'no usable /dev/kvm: QEMU runs under software emulation (TCG)';
    }
    if (kind === 'container' && finding.ready) {
      const engine = containerEngineAnswers();
      finding.ready = engine.ok;
      finding.note = engine.detail;
    }
    return finding;
  });
  const defaultFinding = origins.find((origin) => origin.kind === DEFAULT_ORIGIN);
  const defaultMissing = missingPackages([...ORIGIN_NEEDS[DEFAULT_ORIGIN]], env);
  return {
    node: process.versions.node,
    tools,
    origins,
    defaultOrigin: DEFAULT_ORIGIN as OriginKindName,
    defaultOriginReady: defaultFinding?.ready ?? false,
    ...(defaultMissing.length > 0 ? { installCommand: installCommand(defaultMissing) } : {}),
  };
}

function render(findings: DoctorFindings): string {
  const lines = ['hls-swarm doctor', '', `  ${'node'.padEnd(27)} ${findings.node}`];
  for (const tool of findings.tools) {
    const state = tool.path
      ? `${(tool.version ?? '').padEnd(14)} ${tool.path}`
      : `missing        (${tool.purpose}; apt-get install ${tool.debianPackage})`;
    lines.push(`  ${tool.name.padEnd(27)} ${state}`);
  }
  lines.push('', 'Origin kinds:');
  for (const origin of findings.origins) {
    const isDefault = origin.kind === findings.defaultOrigin ? ' (default)' : '';
    const state = origin.ready
      ? `ready${isDefault}${origin.note ? `: ${origin.note}` : ''}`
      : `cannot run${isDefault}: ${origin.missing.length ? `missing ${origin.missing.join(', ')}` : (origin.note ?? '')}`;
    lines.push(`  ${origin.kind.padEnd(10)} ${state}`);
  }
  lines.push('');
  if (findings.defaultOriginReady) lines.push(`The default origin (${findings.defaultOrigin}) can run here.`);
  else
    lines.push(
      `The default origin (${findings.defaultOrigin}) cannot run here. Install what it needs with:`,
      `  ${findings.installCommand}`,
      'or run: hls-swarm doctor --fix',
    );
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { fix: { type: 'boolean' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (values.fix) {
    const packages = missingPackages(REQUIREMENTS.map((req) => req.binary));
    const result = aptInstall(packages, (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`doctor --fix: ${result.message}\n`);
    if (!result.ok) return 1;
  }
  const findings = inspectMachine();
  process.stdout.write(values.json ? `${JSON.stringify(findings, null, 2)}\n` : render(findings));
  return findings.defaultOriginReady ? 0 : 1;
}
