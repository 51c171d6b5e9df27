/** The outcome of one metric in one analysis interval. */
export interface MetricResult {
  metric: string;
  /** null when the query returned no data (empty result or NaN). */
  value: number | null;
  min?: number;
  max?: number;
  passed: boolean;
  /** Why it failed, for people: a Prometheus error, no data, or the value against its range. */
  message?: string;
}

/** The outcome of the metrics of one analysis interval, as the `analyse` effect reports it. */
export interface AnalysisResult {
  results: MetricResult[];
  /** True when at least one metric had no data; the machine applies onNoData. */
  noData: boolean;
  /**
   * Why the metric source could not have the data yet (Prometheus restarted within the
   * window): missing data is then no verdict on the canary, not a failed check.
   */
  blind?: string;
  /** The statistical judge's verdict, when the spec asks for one. */
  judgement?: JudgementResult;
}

/** One metric of a statistical judgement, canary against primary; null where a side had no data. */
export interface JudgedMetricResult {
  name: string;
  classification: 'Pass' | 'High' | 'Low' | 'Nodata';
  canaryMedian: number | null;
  primaryMedian: number | null;
  canarySamples: number;
  primarySamples: number;
  /** Hodges-Lehmann estimate of canary minus primary. */
  shift: number | null;
  interval: [number, number] | null;
  intervalConfidence: number | null;
  pValue: number | null;
}

/**
 * The statistical judge's verdict in one interval. It also appears in `results` as the metric
 * `judge` (its score, null on missing data), so no-data and pass rules apply to it unchanged;
 * a Marginal result holds the weight (neither a pass nor a failed check).
 */
export interface JudgementResult {
  result: 'Pass' | 'Marginal' | 'Fail';
  score: number;
  message: string;
  metrics: JudgedMetricResult[];
}

/** The name of the judgement's entry in `results`; no metric of `analysis.metrics` may take it. */
export const JUDGE_RESULT_NAME = 'judge';
