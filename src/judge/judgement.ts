/** A whole judgement: each metric classified, then the score. */
import { classifyMetric, type MetricVerdict } from './classify.js';
import type { JudgeRequest } from './judge-input.js';
import { type GroupScore, type Result, scoreJudgement } from './score.js';

/** A metric's verdict in the order a person reads it: the verdict, then the numbers behind it. */
export type JudgedMetricOutput = Pick<
  MetricVerdict,
  'name' | 'classification' | 'critical' | 'reason'
> & {
  groups: string[];
  /** The confidence asked for; `intervalConfidence` is the one the interval holds at. */
  confidence: number;
} & Omit<MetricVerdict, 'name' | 'classification' | 'critical' | 'reason'>;

export interface Judgement {
  metrics: JudgedMetricOutput[];
  groups: GroupScore[];
  score: number;
  result: Result;
  reason: string;
}

export function judge(request: JudgeRequest): Judgement {
  const metrics = request.metrics.map((metric): JudgedMetricOutput => {
    const { name, classification, critical, reason, ...statistics } = classifyMetric(
      metric.rule,
      metric.canary,
      metric.baseline,
    );
    return {
      name,
      classification,
      critical,
      reason,
      groups: metric.groups,
      confidence: metric.rule.confidence,
      ...statistics,
    };
  });
  const verdict = scoreJudgement(metrics, request.scoring);
  return {
    metrics,
    groups: verdict.groups,
    score: verdict.score,
    result: verdict.result,
    reason: verdict.reason,
  };
}
