import type { AnalysisResult, MetricResult } from '../../machines/analysis.js';

export interface ThresholdRange {
  min?: number;
  max?: number;
}

/** What querying one metric produced: a value (null = no data), or why it could not be read. */
export type MetricOutcome = { value: number | null } | { error: string };

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function rangeFields(range: ThresholdRange): Pick<MetricResult, 'min' | 'max'> {
  return {
    ...(range.min === undefined ? {} : { min: range.min }),
    ...(range.max === undefined ? {} : { max: range.max }),
  };
}

/**
 * Judges one metric against its threshold range, both bounds inclusive. A missing or
 * non-finite value is never a pass: fledge must not promote on data it does not have.
 */
export function evaluateMetric(
  metric: string,
  range: ThresholdRange,
  outcome: MetricOutcome,
): MetricResult {
  const bounds = rangeFields(range);
  if ('error' in outcome) {
    return { metric, value: null, ...bounds, passed: false, message: outcome.error };
  }
  const { value } = outcome;
  if (value === null || isNoData(outcome)) {
    return {
      metric,
      value: null,
      ...bounds,
      passed: false,
      message: `metric ${metric} has no data: the query returned no series or a NaN/Inf value; check that the workload receives traffic and that Prometheus scrapes its proxies`,
    };
  }
  if (range.min !== undefined && value < range.min) {
    return {
      metric,
      value,
      ...bounds,
      passed: false,
      message: `metric ${metric} is ${formatValue(value)}, below its minimum ${range.min}`,
    };
  }
  if (range.max !== undefined && value > range.max) {
    return {
      metric,
      value,
      ...bounds,
      passed: false,
      message: `metric ${metric} is ${formatValue(value)}, above its maximum ${range.max}`,
    };
  }
  return { metric, value, ...bounds, passed: true };
}

/** True when the query answered but without a usable value, as opposed to failing. */
function isNoData(outcome: MetricOutcome): boolean {
  return !('error' in outcome) && (outcome.value === null || !Number.isFinite(outcome.value));
}

/** Gathers per-metric results into the interval's result the machine reads. */
export function summarise(
  judged: readonly { result: MetricResult; outcome: MetricOutcome }[],
): AnalysisResult {
  return {
    results: judged.map((j) => j.result),
    noData: judged.some((j) => isNoData(j.outcome)),
  };
}
