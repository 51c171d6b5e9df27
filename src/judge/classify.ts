/**
 * One metric's verdict, canary against baseline, by the rules of Kayenta's Mann-Whitney
 * classifier (NetflixACAJudge): High or Low when the confidence interval of the shift lies
 * beyond `tolerance` times the shift itself, on a side the metric's direction cares about,
 * and the ratio of the means reaches the allowed effect size; Nodata when a side has no data.
 * fledge adds one rule: samples too few to bound the shift at the confidence asked for are
 * Nodata too, never a Pass.
 */
import { mean, median } from './descriptive.js';
import { estimateShift } from './hodges-lehmann.js';
import { rankSumTest, type TestMethod } from './mann-whitney.js';
import { removeOutliers } from './outliers.js';

export type Direction = 'increase' | 'decrease' | 'either';
export type NanStrategy = 'remove' | 'replace';
export type Classification = 'Pass' | 'High' | 'Low' | 'Nodata';

/** How to judge one metric; every field already defaulted. */
export interface MetricRule {
  name: string;
  /** Which change fails the metric: a rise (latency, errors), a fall (success rate), or both. */
  direction: Direction;
  /** A critical failure fails the whole judgement whatever the score. */
  critical: boolean;
  /** [allowed decrease, allowed increase] of mean(canary) / mean(baseline) before Low / High. */
  effectSize: [number, number];
  /** The same bounds for a critical metric's failure to be critical. */
  criticalEffectSize: [number, number];
  /** Confidence of the interval of the shift (Kayenta: 0.98). */
  confidence: number;
  /** The interval must clear 0 by this fraction of the shift (Kayenta: 0.25). */
  tolerance: number;
  /** Missing points (null): dropped, or counted as 0 (for counters that are absent when 0). */
  nanStrategy: NanStrategy;
  /** Remove outliers by the IQR rule with this factor, or keep every point (undefined). */
  outlierFactor: number | undefined;
}

export interface SampleSummary {
  /** Points judged, after missing points and outliers were handled. */
  count: number;
  /** Points dropped as missing or as outliers. */
  removed: number;
  median: number | null;
  mean: number | null;
}

export interface MetricVerdict {
  name: string;
  classification: Classification;
  /** This verdict fails the whole judgement. */
  critical: boolean;
  reason: string;
  canary: SampleSummary;
  baseline: SampleSummary;
  /** Hodges-Lehmann shift, canary minus baseline. */
  shift: number | null;
  interval: [number, number] | null;
  /** The confidence `interval` holds at (see ShiftEstimate.intervalConfidence). */
  intervalConfidence: number | null;
  pValue: number | null;
  method: TestMethod | null;
  /** mean(canary) / mean(baseline); null when either mean is 0. */
  meanRatio: number | null;
}

function prepare(points: readonly (number | null)[], rule: MetricRule): number[] {
  const values =
    rule.nanStrategy === 'replace'
      ? points.map((p) => p ?? 0)
      : points.filter((p): p is number => p !== null);
  return rule.outlierFactor === undefined ? values : removeOutliers(values, rule.outlierFactor);
}

function summary(values: number[], given: number): SampleSummary {
  const empty = values.length === 0;
  return {
    count: values.length,
    removed: given - values.length,
    median: empty ? null : median(values),
    mean: empty ? null : mean(values),
  };
}

/** Four significant digits, without exponent noise for ordinary metric values. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function signed(value: number): string {
  return value > 0 ? `+${formatNumber(value)}` : formatNumber(value);
}

function percent(confidence: number): string {
  return `${Number((confidence * 100).toPrecision(4))}%`;
}

function sameValues(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  return x.every((v, i) => v === y[i]);
}

export function classifyMetric(
  rule: MetricRule,
  canaryPoints: readonly (number | null)[],
  baselinePoints: readonly (number | null)[],
): MetricVerdict {
  const canary = prepare(canaryPoints, rule);
  const baseline = prepare(baselinePoints, rule);
  const base = {
    name: rule.name,
    canary: summary(canary, canaryPoints.length),
    baseline: summary(baseline, baselinePoints.length),
  };
  const nodata = (reason: string): MetricVerdict => ({
    ...base,
    classification: 'Nodata',
    critical: rule.critical,
    reason: `${rule.name} has no verdict: ${reason}`,
    shift: null,
    interval: null,
    intervalConfidence: null,
    pValue: null,
    method: null,
    meanRatio: null,
  });
  if (canary.length === 0 || baseline.length === 0) {
    const sides = [canary.length === 0 ? 'canary' : '', baseline.length === 0 ? 'baseline' : '']
      .filter(Boolean)
      .join(' and ');
    return nodata(`no ${sides} samples${removedNote(base.canary, base.baseline)}`);
  }

  const test = rankSumTest(canary, baseline);
  const estimate = estimateShift(canary, baseline, rule.confidence, test.method);
  const canaryMean = base.canary.mean as number;
  const baselineMean = base.baseline.mean as number;
  const meanRatio = canaryMean === 0 || baselineMean === 0 ? null : canaryMean / baselineMean;
  const statistics = {
    ...base,
    shift: estimate.shift,
    interval: estimate.interval,
    intervalConfidence: estimate.intervalConfidence,
    pValue: test.pValue,
    method: test.method,
    meanRatio,
  };
  const evidence = `canary median ${formatNumber(base.canary.median as number)} vs baseline median ${formatNumber(base.baseline.median as number)}, shift ${signed(estimate.shift)} (${percent(estimate.intervalConfidence)} interval ${signed(estimate.interval[0])} to ${signed(estimate.interval[1])})`;

  if (!estimate.bounded) {
    return {
      ...nodata(
        `${canary.length} canary and ${baseline.length} baseline samples are too few for ${percent(rule.confidence)} confidence (the widest interval holds at ${percent(estimate.intervalConfidence)}); judge over more samples`,
      ),
      ...statistics,
    };
  }
  const pass = (why: string): MetricVerdict => ({
    ...statistics,
    classification: 'Pass',
    critical: false,
    reason: `${rule.name} passes: ${why}`,
  });
  if (sameValues(canary, baseline)) return pass('canary and baseline samples are identical');
  if (canary.every((v) => v === canary[0]) && baseline.every((v) => v === canary[0])) {
    return pass(`every sample is ${formatNumber(canary[0] as number)}`);
  }

  const margin = rule.tolerance * Math.abs(estimate.shift);
  const [lower, upper] = estimate.interval;
  const high =
    rule.direction !== 'decrease' &&
    lower > margin &&
    (meanRatio === null || meanRatio >= rule.effectSize[1]);
  const low =
    rule.direction !== 'increase' &&
    upper < -margin &&
    (meanRatio === null || meanRatio <= rule.effectSize[0]);
  if (!high && !low) return pass(evidence);
  const classification: Classification = high ? 'High' : 'Low';
  const critical =
    rule.critical &&
    (meanRatio === null ||
      (high ? meanRatio >= rule.criticalEffectSize[1] : meanRatio <= rule.criticalEffectSize[0]));
  const ratio = meanRatio === null ? '' : `, means ×${formatNumber(meanRatio)}`;
  return {
    ...statistics,
    classification,
    critical,
    reason: `${rule.name} is ${classification}${critical ? ' (critical)' : ''}: ${evidence}${ratio}`,
  };
}

function removedNote(canary: SampleSummary, baseline: SampleSummary): string {
  const parts = [
    canary.removed > 0 ? `${canary.removed} canary` : '',
    baseline.removed > 0 ? `${baseline.removed} baseline` : '',
  ].filter(Boolean);
  return parts.length === 0 ? '' : ` (${parts.join(' and ')} points were missing or outliers)`;
}
