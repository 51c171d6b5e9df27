import type { MetricStatus } from '../api/types.js';
import { judgementLines } from './judgement-view.js';
import { maxWeightOf, type RolloutObject, rolloutKey, thresholdOf } from './rollout-object.js';
import { oneLine } from './rollout-table.js';

/**
 * `weight` as a bar of `width` cells whose full length is `maxWeight`, the weight at which
 * the canary is promoted, so a full bar means "about to promote".
 */
export function progressBar(weight: number, maxWeight: number, width = 20): string {
  const ratio = maxWeight > 0 ? Math.min(1, Math.max(0, weight / maxWeight)) : 0;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** A metric value for people: at most two decimals, "no data" for an empty result. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'no data';
  return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
}

/** The accepted range the way a person reads it: `>= 99`, `<= 500` or `1..5`. */
export function formatRange(metric: Pick<MetricStatus, 'min' | 'max'>): string {
  const { min, max } = metric;
  if (min !== undefined && max !== undefined) return `${min}..${max}`;
  if (min !== undefined) return `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return 'any';
}

/** The last analysis, one aligned line per metric: name, value, range, verdict, why. */
export function metricLines(results: readonly MetricStatus[]): string[] {
  const nameWidth = Math.max(0, ...results.map((r) => r.metric.length));
  const valueWidth = Math.max(0, ...results.map((r) => formatValue(r.value).length));
  const rangeWidth = Math.max(0, ...results.map((r) => formatRange(r).length));
  return results.map((r) => {
    const verdict = r.passed ? 'pass' : 'FAIL';
    const why = r.message ? `  ${oneLine(r.message)}` : '';
    return `${r.metric.padEnd(nameWidth)}  ${formatValue(r.value).padStart(valueWidth)}  ${formatRange(r).padEnd(rangeWidth)}  ${verdict}${why}`.trimEnd();
  });
}

/** The live view of one rollout: phase, weight bar against maxWeight, checks, last metrics. */
export function rolloutBlock(rollout: RolloutObject): string[] {
  const status = rollout.status ?? {};
  const weight = status.canaryWeight ?? 0;
  const maxWeight = maxWeightOf(rollout);
  const threshold = thresholdOf(rollout);
  const lines = [
    `${rolloutKey(rollout)}  ${status.phase ?? 'no status yet'}  revision ${status.currentRevision ?? '-'}`,
    `  weight ${progressBar(weight, maxWeight)} ${weight}% of ${maxWeight}%   failed checks ${status.failedChecks ?? 0}/${threshold ?? '?'}`,
  ];
  const results = status.lastAnalysis ?? [];
  if (results.length > 0) lines.push(...metricLines(results).map((line) => `  ${line}`));
  if (status.lastJudgement) {
    lines.push(...judgementLines(status.lastJudgement).map((line) => `  ${line}`));
  }
  const message = oneLine(status.message);
  if (message) lines.push(`  ${message}`);
  return lines;
}

/** What a progress line reports; a new line is printed only when one of these changes. */
export function progressKey(rollout: RolloutObject): string {
  const s = rollout.status ?? {};
  return [s.phase, s.canaryWeight, s.failedChecks, s.currentRevision].join('|');
}

/**
 * Writes each rollout's progress line when its phase, weight, failed checks or revision
 * changed since the last one written for it: what views print where they cannot redraw.
 */
export class ProgressLines {
  private readonly printed = new Map<string, string>();

  constructor(
    private readonly write: (text: string) => unknown,
    private readonly now: () => Date = () => new Date(),
  ) {}

  print(rollout: RolloutObject): void {
    const key = rolloutKey(rollout);
    const progress = progressKey(rollout);
    if (this.printed.get(key) === progress) return;
    this.printed.set(key, progress);
    this.write(`${progressLine(rollout, this.now())}\n`);
  }

  forget(rollout: RolloutObject): void {
    this.printed.delete(rolloutKey(rollout));
  }
}

/** A timestamped plain line for logs and CI, where a redrawn screen would be noise. */
export function progressLine(rollout: RolloutObject, now: Date): string {
  const s = rollout.status ?? {};
  const threshold = thresholdOf(rollout);
  const parts = [
    now.toISOString(),
    rolloutKey(rollout),
    s.phase ?? 'no status yet',
    `weight=${s.canaryWeight ?? 0}/${maxWeightOf(rollout)}`,
    `failed=${s.failedChecks ?? 0}/${threshold ?? '?'}`,
    `revision=${s.currentRevision ?? '-'}`,
  ];
  const message = oneLine(s.message);
  return message ? `${parts.join(' ')} ${JSON.stringify(message)}` : parts.join(' ');
}
