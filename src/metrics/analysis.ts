import type { AnalysisResult } from '../../machines/analysis.js';
import { formatDuration, parseDuration } from '../api/duration.js';
import { evaluateMetric, type MetricOutcome, summarise, type ThresholdRange } from './evaluate.js';
import { groupable } from './grouping.js';
import { type AnalysisMode, builtinQuery, isBuiltinMetric } from './linkerd.js';
import type { MetricsProvider } from './prometheus.js';
import { isGrouping } from './query-coalescer.js';
import { renderQuery, type SharedTemplate } from './templates.js';

/** What a metric's PromQL is made from: its own template, or the built-in of its name. */
export interface QueriedMetric {
  name: string;
  query?: string;
  /** The range of rate() in the query. */
  interval?: string;
  /** request-duration's quantile (the p99 unless given). */
  quantile?: number;
  /** The query is a MetricTemplate's: what its {{ name }} and {{ variables.NAME }} are. */
  shared?: SharedTemplate;
  /** Why this metric cannot be asked at all (its MetricTemplate is missing): a failed check. */
  unavailable?: string;
}

/**
 * One metric of a Rollout's analysis, as in `spec.analysis.metrics[]`; a metric with a
 * templateRef comes here resolved: its template's query and provider, or why it has none.
 */
export interface AnalysisMetric extends QueriedMetric {
  thresholdRange: ThresholdRange;
  /** Where this metric is asked, when not the analysis's provider (its MetricTemplate's). */
  provider?: MetricsProvider;
}

export interface AnalyseOptions {
  metrics: readonly AnalysisMetric[];
  mode: AnalysisMode;
  namespace: string;
  /** The canary Deployment (workload mode). */
  target: string;
  /** The canary Service as callers name it (backend mode: the mirror name for a remote backend). */
  service: string;
  /** The range of a metric without its own `interval`: the analysis interval. */
  defaultIntervalMs: number;
  provider: MetricsProvider;
  /** A bound on each metric's query, on top of the provider's own timeout. */
  perMetricTimeoutMs?: number;
  signal?: AbortSignal;
}

type Prepared = { query: string; intervalMs: number; interval: string } | { error: string };

/** Chooses and renders a metric's PromQL: its own template, or the built-in one of its name. */
export function prepareQuery(
  metric: QueriedMetric,
  options: Pick<AnalyseOptions, 'mode' | 'namespace' | 'target' | 'service' | 'defaultIntervalMs'>,
): Prepared {
  if (metric.unavailable !== undefined) return { error: metric.unavailable };
  let intervalMs = options.defaultIntervalMs;
  if (metric.interval !== undefined) {
    const parsed = parseDuration(metric.interval);
    if (parsed === undefined || parsed <= 0) {
      return {
        error: `metric ${metric.name}: interval "${metric.interval}" is not a duration; write it like 30s, 1m or 1m30s`,
      };
    }
    intervalMs = parsed;
  }
  let template: string;
  if (metric.query !== undefined) {
    template = metric.query;
  } else if (isBuiltinMetric(metric.name)) {
    template = builtinQuery(metric.name, options.mode, metric.quantile);
  } else {
    return {
      error: `metric ${metric.name} has no query and is not built in; give it a query or use request-success-rate or request-duration`,
    };
  }
  const interval = formatDuration(Math.max(1, Math.round(intervalMs)));
  try {
    return {
      query: renderQuery(
        metric.name,
        template,
        {
          namespace: options.namespace,
          target: options.target,
          service: options.service,
          interval,
        },
        metric.shared,
      ),
      intervalMs,
      interval,
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Queries with an optional deadline of its own. The deadline rejects before it aborts the
 * query, so the message says which bound was hit rather than "cancelled".
 */
async function queryWithin(
  query: (signal?: AbortSignal) => Promise<number | null>,
  options: AnalyseOptions,
): Promise<number | null> {
  const ms = options.perMetricTimeoutMs;
  if (ms === undefined) return query(options.signal);
  const controller = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, controller.signal])
    : controller.signal;
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new Error(
          `its query took longer than the per-metric timeout of ${ms} ms; check Prometheus's load or raise the timeout`,
        ),
      );
      controller.abort();
    }, ms);
  });
  try {
    return await Promise.race([query(signal), expiry]);
  } finally {
    clearTimeout(timer);
  }
}

async function measure(metric: AnalysisMetric, options: AnalyseOptions): Promise<MetricOutcome> {
  const prepared = prepareQuery(metric, options);
  if ('error' in prepared) return prepared;
  const provider = metric.provider ?? options.provider;
  // A built-in metric asks with the other rollouts due now: one query answers them all.
  const grouping = isGrouping(provider) ? provider : undefined;
  const group = grouping && groupable(metric, options, prepared.interval);
  const query =
    grouping && group
      ? (signal?: AbortSignal) =>
          grouping.queryGrouped(
            { group, query: prepared.query, analysisIntervalMs: options.defaultIntervalMs },
            signal,
          )
      : (signal?: AbortSignal) => provider.query(prepared.query, signal);
  try {
    return { value: await queryWithin(query, options) };
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return { error: `metric ${metric.name}: ${cause}` };
  }
}

/**
 * Runs every metric of one analysis interval in parallel and judges each against its range.
 * It never throws and never passes a metric it could not read.
 */
export async function analyse(options: AnalyseOptions): Promise<AnalysisResult> {
  const outcomes = await Promise.all(options.metrics.map((metric) => measure(metric, options)));
  const result = summariseOutcomes(options, outcomes);
  if (!result.noData) return result;
  const blind = await blindness(options, outcomes);
  return blind === undefined ? result : { ...result, blind };
}

/**
 * Why the source cannot have had the data of a metric that has none: it started less than
 * twice that metric's window ago. A range query needs two samples inside its window, and
 * the first scrapes after a start land up to a scrape interval late, so one window is not
 * enough; twice is, for any scrape interval under the window.
 */
async function blindness(
  options: AnalyseOptions,
  outcomes: readonly MetricOutcome[],
): Promise<string | undefined> {
  const empty = options.metrics.flatMap((metric, index) => {
    const outcome = outcomes[index];
    const prepared = prepareQuery(metric, options);
    return outcome && 'value' in outcome && outcome.value === null && 'query' in prepared
      ? [{ name: metric.name, windowMs: prepared.intervalMs }]
      : [];
  });
  if (empty.length === 0 || !options.provider.startedAt) return undefined;
  const startedAt = await options.provider.startedAt(options.signal).catch(() => undefined);
  if (startedAt === undefined) return undefined;
  const ageMs = Date.now() - startedAt;
  const young = empty.find((metric) => ageMs < 2 * metric.windowMs);
  if (!young) return undefined;
  return `Prometheus started ${Math.max(0, Math.round(ageMs / 1000))}s ago, less than twice the ${formatDuration(young.windowMs)} window of ${young.name}, so it cannot have that data yet`;
}

function summariseOutcomes(
  options: AnalyseOptions,
  outcomes: readonly MetricOutcome[],
): AnalysisResult {
  return summarise(
    options.metrics.map((metric, index) => {
      const outcome = outcomes[index] ?? { error: `metric ${metric.name} was not measured` };
      return { result: evaluateMetric(metric.name, metric.thresholdRange, outcome), outcome };
    }),
  );
}
