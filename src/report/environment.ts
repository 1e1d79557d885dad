import { arch, cpus, platform, release, totalmem } from 'node:os';
import type { ReportEnvironment } from './schema.js';

/** Where the run happened: enough to compare two reports' numbers fairly. */
export function collectEnvironment(): ReportEnvironment {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: platform(),
    osRelease: release(),
    arch: arch(),
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    ci: Boolean(process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0'),
  };
}
