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
}
