import type { MetricStatus, RolloutStatus } from '../api/types.js';

/** A status the demo saw, and when (ms since the epoch). */
export interface Observation {
  at: number;
  status: RolloutStatus;
}

export type Outcome = 'Succeeded' | 'Failed';

export interface FailedCheck {
  /** The rollout's failed-check count after this check. */
  count: number;
  /** ms since the act started. */
  afterMs: number;
  /** The metrics that failed it; empty when something else (a webhook, the target) did. */
  metrics: MetricStatus[];
  message: string;
}

/** What one release did, distilled from the statuses seen while it rolled out. */
export interface ActReport {
  title: string;
  expected: Outcome;
  /** The final phase, or undefined when the act did not finish. */
  outcome: Outcome | undefined;
  revision: string | undefined;
  /** The canary weights in the order they were set, without 0. */
  weights: number[];
  failedChecks: FailedCheck[];
  /** The rollout's last message: why it promoted or rolled back. */
  message: string;
  durationMs: number;
}

/** A status that ends an act: terminal, and about the revision the act shipped. */
export function finishes(status: RolloutStatus, previousRevision: string | undefined): boolean {
  return (
    status.currentRevision !== previousRevision &&
    (status.phase === 'Succeeded' || status.phase === 'Failed')
  );
}

/**
 * Builds an act's report from the statuses seen since `startedAt` (in order). A failed check
 * shows as a rise of `failedChecks`; the analysis in the same status is what failed it.
 */
export function reportAct(
  title: string,
  expected: Outcome,
  startedAt: number,
  observations: readonly Observation[],
): ActReport {
  const weights: number[] = [];
  const failedChecks: FailedCheck[] = [];
  let failed = 0;
  let last: Observation | undefined;
  for (const observation of observations) {
    const { status } = observation;
    const weight = status.canaryWeight ?? 0;
    if (weight > 0 && weights.at(-1) !== weight) weights.push(weight);
    const count = status.failedChecks ?? 0;
    if (count > failed) {
      failedChecks.push({
        count,
        afterMs: observation.at - startedAt,
        metrics: (status.lastAnalysis ?? []).filter((metric) => !metric.passed),
        message: status.message ?? '',
      });
    }
    failed = count;
    last = observation;
  }
  const phase = last?.status.phase;
  const outcome = phase === 'Succeeded' || phase === 'Failed' ? phase : undefined;
  return {
    title,
    expected,
    outcome,
    revision: last?.status.currentRevision,
    weights,
    failedChecks,
    message: last?.status.message ?? '',
    durationMs: last ? last.at - startedAt : 0,
  };
}
