/**
 * The judgement's score, as Kayenta's NetflixJudge computes it (WeightedSumScorer and
 * ThresholdScoreClassifier): each group scores the percentage of its metrics with data that
 * passed; the summary is the groups' weighted sum; a critical failure, or Nodata in half of the
 * metrics or more, scores 0. fledge makes those two a Fail whatever the bounds.
 */
import type { Classification } from './classify.js';

export type Result = 'Pass' | 'Marginal' | 'Fail';

export interface ScoredMetric {
  name: string;
  classification: Classification;
  critical: boolean;
  reason: string;
  groups: readonly string[];
}

export interface ScoreRule {
  /** A score at or above this passes (percent). */
  pass: number;
  /** A score at or above this, below `pass`, is marginal; below it fails. */
  marginal: number;
  /** Percent per group; groups without a weight share what is left equally. */
  groupWeights: Readonly<Record<string, number>>;
}

export interface GroupScore {
  name: string;
  /** Percent of the group's metrics with data that passed; null when none had data. */
  score: number | null;
  weight: number;
}

export interface Verdict {
  result: Result;
  score: number;
  groups: GroupScore[];
  reason: string;
}

/** Kayenta's share of Nodata metrics at which the judgement fails. */
export const NODATA_FAIL_PERCENT = 50;

const roundTo2 = (value: number) => Math.round(value * 100) / 100;

function groupScores(metrics: readonly ScoredMetric[], rule: ScoreRule): GroupScore[] {
  const members = new Map<string, ScoredMetric[]>();
  for (const metric of metrics) {
    for (const group of metric.groups) members.set(group, [...(members.get(group) ?? []), metric]);
  }
  const weighted = Object.values(rule.groupWeights).reduce((sum, w) => sum + w, 0);
  const unweighted = [...members.keys()].filter((g) => rule.groupWeights[g] === undefined);
  const share = unweighted.length > 0 ? (100 - weighted) / unweighted.length : 0;
  return [...members.entries()].map(([name, list]) => {
    const judged = list.filter((m) => m.classification !== 'Nodata');
    const passed = judged.filter((m) => m.classification === 'Pass').length;
    return {
      name,
      score: judged.length === 0 ? null : (passed / judged.length) * 100,
      weight: rule.groupWeights[name] ?? share,
    };
  });
}

/** Metrics named in a reason, at most; the rest are counted. */
const NAMED_IN_REASON = 10;

function failed(metrics: readonly ScoredMetric[]): string {
  const listed = metrics
    .filter((m) => m.classification !== 'Pass')
    .map((m) => `${m.name} ${m.classification}`);
  if (listed.length === 0) return '';
  const more = listed.length - NAMED_IN_REASON;
  const named = listed.slice(0, NAMED_IN_REASON).join(', ');
  return more > 0 ? ` (${named} and ${more} more)` : ` (${named})`;
}

export function scoreJudgement(metrics: readonly ScoredMetric[], rule: ScoreRule): Verdict {
  const raw = groupScores(metrics, rule);
  const groups = raw.map((g) => ({ ...g, score: g.score === null ? null : roundTo2(g.score) }));
  const critical = metrics.find((m) => m.critical);
  if (critical) {
    return {
      result: 'Fail',
      score: 0,
      groups,
      reason: `critical metric failed: ${critical.reason}`,
    };
  }
  const nodata = metrics.filter((m) => m.classification === 'Nodata').length;
  if (metrics.length > 0 && (nodata / metrics.length) * 100 >= NODATA_FAIL_PERCENT) {
    return {
      result: 'Fail',
      score: 0,
      groups,
      reason: `${nodata} of ${metrics.length} metrics have no data (${NODATA_FAIL_PERCENT}% or more fails the judgement)${failed(metrics)}`,
    };
  }
  // A group without data counts as passed, as in Kayenta: Nodata is judged apart, above.
  const score = roundTo2(raw.reduce((sum, g) => sum + ((g.score ?? 100) * g.weight) / 100, 0));
  const detail = failed(metrics);
  if (score >= rule.pass) {
    return {
      result: 'Pass',
      score,
      groups,
      reason: `score ${score} reaches pass ${rule.pass}${detail}`,
    };
  }
  if (score >= rule.marginal) {
    return {
      result: 'Marginal',
      score,
      groups,
      reason: `score ${score} is below pass ${rule.pass} but reaches marginal ${rule.marginal}${detail}`,
    };
  }
  return {
    result: 'Fail',
    score,
    groups,
    reason: `score ${score} is below marginal ${rule.marginal}${detail}`,
  };
}
