/**
 * The statistical judge's I/O: each metric of `analysis.judge` sampled as a series (a
 * Prometheus query_range over the window, a point per step) for the canary and for the
 * primary, with the same query building as the threshold metrics, then judged by the pure
 * judge. It never throws: a query that fails is a judgement without data, which never passes.
 */
import {
  JUDGE_RESULT_NAME,
  type JudgementResult,
  type MetricResult,
} from '../../machines/analysis.js';
import { formatDuration, parseDuration } from '../api/duration.js';
import type { JudgeSpec } from '../api/types.js';
import { judge } from '../judge/judgement.js';
import {
  judgementCheck,
  judgeRequest,
  type MetricSamples,
  samplingGrid,
} from '../judge/rollout-judge.js';
import { prepareQuery } from './analysis.js';
import { groupable } from './grouping.js';
import type { AnalysisMode } from './linkerd.js';
import type { MetricsProvider } from './prometheus.js';
import { isGrouping } from './query-coalescer.js';

/** One side of the comparison: where its metrics are read and what names its workload. */
export interface JudgedSide {
  mode: AnalysisMode;
  provider: MetricsProvider;
  /** The Deployment (workload mode). */
  target: string;
  /** The Service as callers name it (backend mode). */
  service: string;
}

export interface JudgeSamplingOptions {
  spec: JudgeSpec;
  namespace: string;
  canary: JudgedSide;
  primary: JudgedSide;
  /** The window when the spec gives none: the analysis interval. */
  analysisIntervalMs: number;
  nowMs: number;
  signal?: AbortSignal;
}

export interface JudgeCheck {
  result: MetricResult;
  judgement?: JudgementResult;
}

async function sample(
  side: JudgedSide,
  metric: JudgeSpec['metrics'][number],
  options: JudgeSamplingOptions,
  grid: ReturnType<typeof samplingGrid>,
): Promise<(number | null)[]> {
  const where = {
    mode: side.mode,
    namespace: options.namespace,
    target: side.target,
    service: side.service,
  };
  const prepared = prepareQuery(
    { ...metric, interval: metric.interval ?? formatDuration(grid.stepMs) },
    { ...where, defaultIntervalMs: grid.stepMs },
  );
  if ('error' in prepared) throw new Error(prepared.error);
  if (!side.provider.queryRange) {
    throw new Error(
      'its metrics provider answers only instant queries; the judge needs a Prometheus query_range',
    );
  }
  // A built-in metric is sampled with the other rollouts' (both sides) on the same grid.
  const group = groupable(metric, where, prepared.interval);
  if (group && isGrouping(side.provider)) {
    return side.provider.queryRangeGrouped(
      { group, query: prepared.query, analysisIntervalMs: options.analysisIntervalMs },
      grid,
      options.signal,
    );
  }
  return side.provider.queryRange(prepared.query, grid, options.signal);
}

function failure(message: string): JudgeCheck {
  return { result: { metric: JUDGE_RESULT_NAME, value: null, passed: false, message } };
}

export async function sampleAndJudge(options: JudgeSamplingOptions): Promise<JudgeCheck> {
  const { spec } = options;
  const stepMs = parseDuration(spec.step);
  const windowMs =
    spec.window === undefined ? options.analysisIntervalMs : parseDuration(spec.window);
  if (stepMs === undefined || stepMs <= 0 || windowMs === undefined) {
    return failure(
      `judge: step "${spec.step}" or window "${spec.window}" is not a duration; write them like 10s or 1m`,
    );
  }
  const grid = samplingGrid(options.nowMs, windowMs, stepMs);
  let samples: MetricSamples[];
  try {
    samples = await Promise.all(
      spec.metrics.map(async (metric) => {
        const read = (side: JudgedSide, which: string) =>
          sample(side, metric, options, grid).catch((error: unknown) => {
            const cause = error instanceof Error ? error.message : String(error);
            throw new Error(`judge metric ${metric.name} (${which}): ${cause}`);
          });
        const [canary, primary] = await Promise.all([
          read(options.canary, 'canary'),
          read(options.primary, 'primary'),
        ]);
        return { canary, primary };
      }),
    );
  } catch (error) {
    return failure((error as Error).message);
  }
  return judgementCheck(judge(judgeRequest(spec, samples)), spec);
}
