/** A whole judgement: each metric classified, then the score. */
import { classifyMetric, type MetricVerdict } from './classify.js';
import type { JudgeRequest } from './judge-input.js';
import { type GroupScore, type Result, scoreJudgement } from './score.js';

export interface Judgement {
  metrics: (MetricVerdict & { groups: string[] })[];
  groups: GroupScore[];
  score: number;
  result: Result;
  reason: string;
}

export function judge(request: JudgeRequest): Judgement {
  const metrics = request.metrics.map((metric) => ({
    ...classifyMetric(metric.rule, metric.canary, metric.baseline),
    groups: metric.groups,
  }));
  const verdict = scoreJudgement(metrics, request.scoring);
  return {
    metrics,
    groups: verdict.groups,
    score: verdict.score,
    result: verdict.result,
    reason: verdict.reason,
  };
}
