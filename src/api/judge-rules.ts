/**
 * The rules of `spec.analysis.judge` a structural schema cannot express: queries that can be
 * rendered, effect sizes around 1, marginal at most pass, and a window that holds enough
 * steps for the judge ever to reach its confidence (fewer samples are always `Nodata`).
 */
import { JUDGE_RESULT_NAME } from '../../machines/analysis.js';
import { templateProblem } from '../metrics/templates.js';
import { formatDuration, parseDuration } from './duration.js';
import { isObject } from './json.js';
import type { Problem } from './problems.js';
import { BUILT_IN_METRICS } from './types.js';

type Fields = Record<string, unknown>;

const SECOND = 1_000;
const HOUR = 3_600_000;
/**
 * Samples per side a Rollout's judge may ask for. Prometheus answers up to 11,000 points per
 * series, but the controller judges on its event loop: at 1,000 per side a judgement of 32
 * metrics took 0.15-0.4 s of CPU (docs/judge.md), at 10,000 about ten times more.
 */
export const MAX_JUDGED_SAMPLES = 1_000;
const AT = 'spec.analysis.judge';

function items(value: unknown): Fields[] {
  return Array.isArray(value) ? value.map((item) => (isObject(item) ? item : {})) : [];
}

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * The fewest samples per side with which a two-sided exact rank-sum test can reach
 * `confidence`: its smallest p-value, with n against n, is 2 / C(2n, n).
 */
export function minimumSamples(confidence: number): number {
  let n = 1;
  let central = 2; // C(2n, n) for n = 1
  while (2 / central > 1 - confidence + 1e-12 && n < 1_000) {
    central = (central * (2 * n + 1) * (2 * n + 2)) / ((n + 1) * (n + 1));
    n += 1;
  }
  return n;
}

function durationProblem(path: string, text: unknown, maxMs: number, maxText: string): Problem[] {
  const ms = typeof text === 'string' ? parseDuration(text) : undefined;
  if (ms === undefined || (ms >= SECOND && ms <= maxMs)) return [];
  return [
    {
      path,
      message: `${text} is ${ms < SECOND ? 'shorter than 1s' : `longer than ${maxText}`}`,
      fix: `use a duration from 1s to ${maxText}`,
    },
  ];
}

function windowProblems(analysis: Fields, judge: Fields): Problem[] {
  const window = typeof judge.window === 'string' ? judge.window : analysis.interval;
  const windowPath = judge.window === undefined ? 'spec.analysis.interval' : `${AT}.window`;
  const windowMs = typeof window === 'string' ? parseDuration(window) : undefined;
  const stepMs = typeof judge.step === 'string' ? parseDuration(judge.step) : undefined;
  const problems = [
    ...durationProblem(`${AT}.window`, judge.window, 24 * HOUR, '24h'),
    ...durationProblem(`${AT}.step`, judge.step, HOUR, '1h'),
  ];
  if (problems.length > 0 || windowMs === undefined || stepMs === undefined || stepMs <= 0) {
    return problems;
  }
  const points = Math.floor(windowMs / stepMs);
  const confidences = [judge.confidence, ...items(judge.metrics).map((m) => m.confidence)];
  // A confidence outside (0, 1) is the schema's problem, reported on its own field.
  const confidence = Math.max(
    ...confidences.filter((c): c is number => isNumber(c) && c > 0 && c < 1),
    0,
  );
  const needed = minimumSamples(confidence);
  if (points < needed) {
    return [
      {
        path: `${AT}.step`,
        message: `${judge.step} gives ${points} samples per side in the window of ${window} (${windowPath}); at confidence ${confidence} the judge needs at least ${needed}, or it never answers but Nodata`,
        fix: `shorten the step to ${formatDuration(Math.floor(windowMs / needed))} or less, or set ${AT}.window to ${formatDuration(stepMs * needed)} or more`,
      },
    ];
  }
  if (points > MAX_JUDGED_SAMPLES) {
    return [
      {
        path: `${AT}.step`,
        message: `${judge.step} gives ${points} samples per side in the window of ${window}; the judge takes at most ${MAX_JUDGED_SAMPLES}`,
        fix: `lengthen the step to ${formatDuration(Math.ceil(windowMs / MAX_JUDGED_SAMPLES))} or more`,
      },
    ];
  }
  return [];
}

function metricProblems(metric: Fields, i: number): Problem[] {
  const at = `${AT}.metrics[${i}]`;
  const problems: Problem[] = [];
  const builtIn: readonly unknown[] = BUILT_IN_METRICS;
  if (
    typeof metric.name === 'string' &&
    metric.query === undefined &&
    !builtIn.includes(metric.name)
  ) {
    problems.push({
      path: `${at}.query`,
      message: `is required: ${metric.name} is not a built-in metric`,
      fix: `add a PromQL query, or use a built-in metric (${BUILT_IN_METRICS.join(', ')})`,
    });
  }
  const template = typeof metric.query === 'string' ? templateProblem(metric.query) : undefined;
  if (template !== undefined) {
    problems.push({
      path: `${at}.query`,
      message: template,
      fix: 'fledge fills in only these placeholders; {{ target }} and {{ service }} name the canary, then the primary',
    });
  }
  const [low, high] = Array.isArray(metric.effectSize) ? metric.effectSize : [];
  if (isNumber(low) && isNumber(high) && !(low <= 1 && high >= 1)) {
    problems.push({
      path: `${at}.effectSize`,
      message: `[${low}, ${high}] does not hold 1: low is the ratio canary/primary that fails as a fall, high as a rise`,
      fix: 'write [low, high] with low <= 1 <= high, as [0.9, 1.2] (or [1, 1] to fail on any significant change)',
    });
  }
  problems.push(...durationProblem(`${at}.interval`, metric.interval, HOUR, '1h'));
  return problems;
}

export function judgeProblems(analysis: Fields): Problem[] {
  if (!isObject(analysis.judge)) return [];
  const judge = analysis.judge;
  const problems: Problem[] = [];
  if (isNumber(judge.pass) && isNumber(judge.marginal) && judge.marginal > judge.pass) {
    problems.push({
      path: `${AT}.marginal`,
      message: `${judge.marginal} is above pass ${judge.pass}`,
      fix: `lower marginal to ${judge.pass} or less (equal to pass: no marginal band)`,
    });
  }
  items(analysis.metrics).forEach((metric, i) => {
    if (metric.name === JUDGE_RESULT_NAME) {
      problems.push({
        path: `spec.analysis.metrics[${i}].name`,
        message: `"${JUDGE_RESULT_NAME}" is the name of the judge's own result in status.lastAnalysis`,
        fix: 'rename this metric',
      });
    }
  });
  return [
    ...problems,
    ...windowProblems(analysis, judge),
    ...items(judge.metrics).flatMap(metricProblems),
  ];
}
