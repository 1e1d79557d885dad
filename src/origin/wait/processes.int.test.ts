import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alive, groupMembers, waitUntil } from '../../system/test/processes.js';
import { OriginProcesses } from './processes.js';

/*
 * OriginProcesses with real processes (sh, sleep): what the VM driver relies on beyond the
 * native drivers — a private workspace, a chosen log and the log shown to users, retire() for a
 * process replaced on purpose, and a polite step before the kill in stop().
 */

describe('OriginProcesses', () => {
  it('points problems at the shown log, forgets a retired process, and stops politely first', async () => {
    const processes = new OriginProcesses('test', { private: true, graceMs: 1000 });
    const { dir, logDir } = processes.workspace;
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const consoleLog = `${logDir}/console.log`;

    const probe = processes.start('probe', 'sleep', ['30'], { cwd: dir });
    const failing = processes.start('failing', 'sh', ['-c', 'echo started; sleep 0.3; exit 3'], {
      logFile: consoleLog,
      shownLog: { label: 'console', file: consoleLog },
      logCommand: true,
    });
    await processes.retire(probe, 1000);
    expect(alive(probe.pid)).toBe(false);
    await failing.exited;
    expect(await waitUntil(() => processes.status().problems.length === 1, 2000)).toBe(true);

    const status = processes.status();
    expect(status.healthy).toBe(false);
    expect(status.processes.map((process) => process.name)).toEqual(['failing']);
    expect(status.processes[0]).toMatchObject({ running: false, exitCode: 3, logFile: consoleLog });
    expect(status.problems[0]).toMatch(
      new RegExp(`^failing exited with code 3 at \\S+ \\(console: ${consoleLog.replaceAll('/', '\\/')}\\)$`),
    );
    expect(readFileSync(consoleLog, 'utf8')).toMatch(
      /^# \S+ sh -c echo started; sleep 0\.3; exit 3\nstarted\n/,
    );
    expect(processes.logs).toEqual({ failing: consoleLog });

    // A process that ends during the polite step is no problem: the stop was asked for.
    const polite = processes.start('polite', 'sleep', ['30']);
    let askedWhileRunning = false;
    await processes.stop(async () => {
      askedWhileRunning = polite.running;
      await polite.stop(1000);
    });
    expect(askedWhileRunning).toBe(true);
    expect(processes.status().problems).toHaveLength(1);
    expect(existsSync(dir)).toBe(false);
    expect(groupMembers([probe.pid, failing.pid, polite.pid])).toEqual([]);
  });
});
