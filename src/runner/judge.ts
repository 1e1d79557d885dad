import type { GeneratorSpec } from '../config/index.js';
import type { MetricStore } from '../metrics/index.js';
import {
  baselineThresholds,
  type ComparedMetric,
  type LoadedBaseline,
  type ThresholdResultEntry,
  thresholdEntryFrom,
  type Verdict,
  verdictWithGeneratorHealth,
} from '../report/index.js';
import {
  type CompiledThreshold,
  evaluateThresholds,
  type GeneratorHealthJudgement,
  judgeGeneratorHealth,
  markUnreliableLatency,
  type RunTimeline,
  type SloAbort,
} from '../slo/index.js';

/*
 * The verdict of a run, as a pure function of what it measured and how it ended: every
 * threshold over its window, the generator's health over the steady window, then one verdict
 * and the sentence that explains it. Interrupted and failed runs are judged too (the results
 * say how far they got); their verdict stays 'interrupted' / 'error'.
 */

export interface JudgeInput {
  compiled: readonly CompiledThreshold[];
  /** Undefined when sampling never began (nothing to judge). */
  store?: MetricStore;
  /** The generator's health judged elsewhere (a merge: per shard); default: judged from `store`. */
  generator?: GeneratorHealthJudgement;
  timeline: RunTimeline;
  generatorLimits: GeneratorSpec;
  interruptedReason?: string;
  error?: Error;
  sloAbort?: Pick<SloAbort, 'reason'>;
  /** This run against the scenario's baseline: each figure becomes a threshold after the SLO's. */
  baseline?: {
    rows: readonly ComparedMetric[];
    spec: Pick<LoadedBaseline, 'path' | 'maxRegression' | 'strict'>;
  };
}

export interface RunJudgement {
  thresholds: ThresholdResultEntry[];
  generator?: GeneratorHealthJudgement;
  verdict: Verdict;
  reason?: string;
}

function failedReason(thresholds: readonly ThresholdResultEntry[]): string {
  const failed = thresholds.filter((result) => result.strict && !result.ok);
  const names = failed.map((result) => `${result.metric} ${result.expression}`).join(', ');
  return `${failed.length} strict threshold${failed.length === 1 ? '' : 's'} failed: ${names}`;
}

export function judge(input: JudgeInput): RunJudgement {
  let thresholds: ThresholdResultEntry[] = [];
  let generator: GeneratorHealthJudgement | undefined;
  if (input.store) {
    generator = input.generator ?? judgeGeneratorHealth(input.store, input.timeline, input.generatorLimits);
    thresholds = markUnreliableLatency(
      evaluateThresholds([...input.compiled], input.store, input.timeline),
      generator,
    ).map(thresholdEntryFrom);
  }
  if (input.baseline) {
    thresholds.push(
      ...baselineThresholds(input.baseline.rows, input.baseline.spec, generator?.saturated ?? false),
    );
  }
  const measured = { thresholds, ...(generator ? { generator } : {}) };
  if (input.interruptedReason)
    return { ...measured, verdict: 'interrupted', reason: input.interruptedReason };
  if (input.error) return { ...measured, verdict: 'error', reason: input.error.message.split('\n')[0] ?? '' };
  const verdict = verdictWithGeneratorHealth(thresholds, generator);
  const aborted = input.sloAbort ? `aborted early: ${input.sloAbort.reason}` : undefined;
  let reason: string | undefined;
  if (verdict === 'inconclusive') reason = [aborted, generator?.reason].filter(Boolean).join('; ');
  else if (aborted) reason = aborted;
  else if (verdict === 'fail') reason = failedReason(thresholds);
  return { ...measured, verdict, ...(reason ? { reason } : {}) };
}
