import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Reporter, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node';
// The run index only: not the report page's chart code, which reads the swarm's ramp plan.
import { renderRunIndex } from '../../report/html/index-page.js';
import {
  collectEnvironment,
  formatSummary,
  liveDashboardWanted,
  type ProgressUpdate,
  REPORT_SCHEMA_VERSION,
  type Report,
  type RunSummary,
  type RunSummaryEntry,
  reportSchema,
  TerminalDashboard,
  writeRunSummary,
  writeTextAtomic,
} from '../../report/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../../version.js';
import { DASHBOARD_PREFIX, hlsSwarmMeta, PROGRESS_PREFIX } from '../shared.js';
import { DEFAULT_INTERRUPT_GRACE_MS, interruptRunsOnSignal } from './interrupt.js';

/*
 * Main-process side of the plugin: prints the workers' progress lines plainly (on a terminal,
 * draws their progress updates as one live dashboard and prints other lines above it), prints each
 * scenario's summary from its report file (the report is the one results object), and writes
 * reports/summary.json at the end of the run. It also turns a SIGINT/SIGTERM sent to the
 * vitest process alone into a cancelled run that still writes its reports (interrupt.ts).
 */

let reporterActive = false;

/** True once a HlsSwarmReporter is part of the running Vitest (it then prints progress lines). */
export function reporterIsActive(): boolean {
  return reporterActive;
}

export interface HlsSwarmReporterOptions {
  reportDir: string;
  root: string;
  /** Only tests of this project get a summary.json entry. */
  project: string;
  /** Longest wait for the interrupted scenarios' reports after SIGINT/SIGTERM; default 60 s. */
  interruptGraceMs?: number;
}

export class HlsSwarmReporter implements Reporter {
  private vitest: Vitest | undefined;
  private readonly entries: RunSummaryEntry[] = [];
  private startedAt = new Date();
  private interruption: ReturnType<typeof interruptRunsOnSignal> | undefined;
  /** Drawn from DASHBOARD_PREFIX lines (the plugin asks workers for them on a terminal only). */
  private dashboard: TerminalDashboard | undefined;

  constructor(private readonly options: HlsSwarmReporterOptions) {}

  private write(text: string): void {
    if (this.dashboard?.active) this.dashboard.log(text);
    else if (this.vitest) this.vitest.logger.log(text);
    else process.stdout.write(`${text}\n`);
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    this.askForDashboard(vitest);
    this.startedAt = new Date();
    reporterActive = true;
    this.interruption = interruptRunsOnSignal(vitest, {
      graceMs: this.options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS,
      log: (line) => this.write(line),
    });
  }

  /**
   * On a terminal (not CI), the load project's workers send progress as data for the live
   * dashboard instead of lines. Asked here, not in the plugin's config: only this reporter can
   * draw it (`--reporter …` on the command line replaces it, and the plain lines stay).
   */
  private askForDashboard(vitest: Vitest): void {
    const output = vitest.logger.outputStream as { isTTY?: boolean } | undefined;
    if (!output || !liveDashboardWanted([output])) return;
    const project = vitest.projects.find((candidate) => candidate.name === this.options.project);
    const provided = project?.getProvidedContext().hlsSwarm;
    if (project && provided?.progress) project.provide('hlsSwarm', { ...provided, dashboard: true });
  }

  onTestRunStart(): void {
    this.interruption?.runStarted();
    this.entries.length = 0;
    this.startedAt = new Date();
  }

  onUserConsoleLog(log: { content: string }): void {
    if (log.content.startsWith(DASHBOARD_PREFIX)) {
      let update: ProgressUpdate;
      try {
        update = JSON.parse(log.content.slice(DASHBOARD_PREFIX.length)) as ProgressUpdate;
      } catch {
        return; // a torn line: the next update redraws the frame
      }
      this.dashboard ??= new TerminalDashboard(
        (this.vitest?.logger.outputStream as NodeJS.WriteStream | undefined) ?? process.stdout,
      );
      this.dashboard.update(update);
      return;
    }
    if (!log.content.startsWith(PROGRESS_PREFIX)) return;
    this.write(log.content.replace(/\n$/, ''));
  }

  async onTestCaseResult(testCase: TestCase): Promise<void> {
    if (testCase.project.name !== this.options.project) return;
    // The scenario is over: its last frame stays, its summary follows.
    this.dashboard?.stop();
    const meta = hlsSwarmMeta(testCase.meta());
    const result = testCase.result();
    const diagnostic = testCase.diagnostic();
    let report: Report | undefined;
    if (meta) {
      try {
        report = reportSchema.parse(JSON.parse(await readFile(meta.reportPath, 'utf8')));
      } catch (error) {
        this.write(
          `[hls-swarm] ${testCase.fullName}: could not read the report ${meta.reportPath}: ${String(error)}`,
        );
      }
    }
    if (report && meta) {
      const color =
        Boolean(
          this.vitest?.logger.outputStream &&
            'isTTY' in this.vitest.logger.outputStream &&
            this.vitest.logger.outputStream.isTTY,
        ) && !process.env.NO_COLOR;
      this.write(
        `\n${formatSummary(report, { color, reportPath: relative(this.options.root, meta.reportPath) })}\n`,
      );
    }
    const failed = report?.thresholds.filter((threshold) => !threshold.ok) ?? [];
    this.entries.push({
      file: relative(this.options.root, testCase.module.moduleId),
      test: testCase.fullName,
      ...(meta ? { scenario: meta.scenario } : {}),
      verdict: report?.verdict ?? meta?.verdict ?? null,
      testState: result.state,
      reportPath: meta ? relative(this.options.root, meta.reportPath) : null,
      durationSeconds: (diagnostic?.duration ?? 0) / 1000,
      thresholds: report
        ? {
            total: report.thresholds.length,
            failed: failed.length,
            failedStrict: failed.filter((threshold) => threshold.strict).length,
          }
        : null,
      errors:
        result.state === 'failed' ? result.errors.map((error) => error.message.split('\n')[0] ?? '') : [],
    });
  }

  async onTestRunEnd(
    _modules: ReadonlyArray<TestModule>,
    _errors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): Promise<void> {
    this.dashboard?.stop();
    try {
      await this.writeSummary(reason);
    } finally {
      this.interruption?.runEnded();
    }
  }

  private async writeSummary(reason: TestRunEndReason): Promise<void> {
    if (this.entries.length === 0) return;
    const path = join(this.options.reportDir, 'summary.json');
    const summary: RunSummary = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      startedAt: this.startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      reason,
      scenarios: [...this.entries],
      environment: collectEnvironment(),
    };
    await writeRunSummary(path, summary);
    // The run index: every scenario of this run with links to its HTML and JSON reports.
    await writeTextAtomic(join(this.options.reportDir, 'index.html'), renderRunIndex(summary, this.options));
    this.write(
      `[hls-swarm] ${this.entries.length} scenario test(s); summary ${relative(this.options.root, path)}, index ${relative(this.options.root, join(this.options.reportDir, 'index.html'))}`,
    );
  }
}
