/**
 * The judge inside a rollout, without I/O: a Rollout's `analysis.judge` read as the judge's
 * rules, the grid its series are sampled on, and a judgement turned into the check the
 * machine reads. Missing data never passes: one metric without a verdict makes the whole
 * judgement "no data".
 */
import {
  JUDGE_RESULT_NAME,
  type JudgedMetricResult,
  type JudgementResult,
  type MetricResult,
} from '../../machines/analysis.js';
import type { JudgeMetricSpec, JudgeSpec } from '../api/types.js';
import type { Direction, MetricRule } from './classify.js';
import { DEFAULTS, type JudgeRequest } from './judge-input.js';
import type { Judgement } from './judgement.js';

/** What a change of a built-in means; a query's metric fails on a change either way. */
export function defaultDirection(metric: Pick<JudgeMetricSpec, 'name' | 'query'>): Direction {
  if (metric.query !== undefined) return 'either';
  if (metric.name === 'request-success-rate') return 'decrease';
  if (metric.name === 'request-duration') return 'increase';
  return 'either';
}

export function metricRule(spec: JudgeSpec, metric: JudgeMetricSpec): MetricRule {
  const [low = 1, high = 1] = metric.effectSize;
  return {
    name: metric.name,
    direction: metric.direction ?? defaultDirection(metric),
    critical: metric.critical,
    effectSize: [low, high],
    criticalEffectSize: [low, high],
    confidence: metric.confidence ?? spec.confidence,
    tolerance: metric.tolerance ?? spec.tolerance,
    nanStrategy: metric.nanStrategy,
    outlierFactor: undefined,
  };
}

/** The samples of one metric, a point per step (null where the series had none). */
export interface MetricSamples {
  canary: (number | null)[];
  primary: (number | null)[];
}

export function judgeRequest(spec: JudgeSpec, samples: readonly MetricSamples[]): JudgeRequest {
  return {
    metrics: spec.metrics.map((metric, index) => ({
      rule: metricRule(spec, metric),
      groups: [DEFAULTS.group],
      canary: samples[index]?.canary ?? [],
      baseline: samples[index]?.primary ?? [],
    })),
    scoring: { pass: spec.pass, marginal: spec.marginal, groupWeights: {} },
  };
}

/**
 * The query_range grid of one judgement: `floor(window / step)` points ending at the last
 * whole step before `nowMs`, so that every judgement of a window asks for the same instants
 * whatever the moment it runs.
 */
export function samplingGrid(
  nowMs: number,
  windowMs: number,
  stepMs: number,
): { startMs: number; endMs: number; stepMs: number } {
  const points = Math.max(1, Math.floor(windowMs / stepMs));
  const endMs = Math.floor(nowMs / stepMs) * stepMs;
  return { startMs: endMs - (points - 1) * stepMs, endMs, stepMs };
}

/** Metrics whose reasons a message quotes, and the length of each. */
const QUOTED_METRICS = 3;
const REASON_LENGTH = 300;

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * Why a judgement did not pass, for the status message and the failed check: its result and
 * score, then each metric that did not pass with both medians and the shift with its
 * interval (the classifier's reason). At most about a KiB, however many metrics.
 */
export function judgementMessage(judgement: Judgement, scoring: JudgeSpec): string {
  const head = `judgement ${judgement.result}, score ${judgement.score} (pass ${scoring.pass}, marginal ${scoring.marginal})`;
  const failing = judgement.metrics.filter((m) => m.classification !== 'Pass');
  if (failing.length === 0) return head;
  const quoted = failing.slice(0, QUOTED_METRICS).map((m) => shorten(m.reason, REASON_LENGTH));
  const more = failing.length - quoted.length;
  return `${head}: ${quoted.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/** The judgement as the machine reads it: one entry of `results`, and the details for status. */
export function judgementCheck(
  judgement: Judgement,
  spec: JudgeSpec,
): { result: MetricResult; judgement: JudgementResult } {
  const nodata = judgement.metrics.filter((m) => m.classification === 'Nodata');
  const message = judgementMessage(judgement, spec);
  const details: JudgementResult = {
    result: judgement.result,
    score: judgement.score,
    message,
    metrics: judgement.metrics.map(
      (m): JudgedMetricResult => ({
        name: m.name,
        classification: m.classification,
        canaryMedian: m.canary.median,
        primaryMedian: m.baseline.median,
        canarySamples: m.canary.count,
        primarySamples: m.baseline.count,
        shift: m.shift,
        interval: m.interval,
        intervalConfidence: m.intervalConfidence,
        pValue: m.pValue,
      }),
    ),
  };
  if (nodata.length > 0) {
    return {
      result: {
        metric: JUDGE_RESULT_NAME,
        value: null,
        passed: false,
        message: `no data for the judge: ${message}`,
      },
      judgement: details,
    };
  }
  const passed = judgement.result === 'Pass';
  return {
    result: {
      metric: JUDGE_RESULT_NAME,
      value: judgement.score,
      passed,
      ...(passed ? {} : { message }),
    },
    judgement: details,
  };
}
