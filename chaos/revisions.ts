import type { WeightedBackend, WriteFact } from './audit-log.js';
import { evidenceOf, succeeded, type Violation } from './evidence.js';

/** The User-Agent of the chaos run's writes that start a revision, and of nothing else. */
export const TRIGGER_AGENT = 'fledge-chaos/trigger';

export type Outcome = 'Succeeded' | 'Failed';

export interface RolloutUnderTest {
  namespace: string;
  name: string;
  maxWeight: number;
  threshold: number;
  /** The Service that is the canary before the first revision. */
  initialCanary: string;
  /**
   * Each revision the run started, in order: what it deserves, its canary Service, and
   * whether the run stopped (it was not made) before the revision could end.
   */
  revisions: Array<{ expected: Outcome; canaryService: string; cutShort?: boolean }>;
}

export interface RevisionResult {
  rollout: string;
  revision: number;
  expected: Outcome;
  /** The phase of the last status written for it, or why there is none. */
  actual: string;
}

export interface RevisionCheck {
  results: RevisionResult[];
  violations: Violation[];
  /** Why the log could not be checked against the run (not a fault of the controller). */
  problems: string[];
}

/** The `actual` of a revision whose outcome is not judged: the run stopped before it ended. */
export const CUT_SHORT = 'cut short by the run stopping';

const promotedPhases = new Set(['Promoting', 'Finalising', 'Succeeded']);

/**
 * The largest share of traffic (percent) any route of a routing object gives `service`: NaN
 * when a weight is not a number, 0 for a route whose weights add up to 0.
 */
export function canaryShare(routes: WeightedBackend[][], service: string): number {
  let largest = 0;
  for (const route of routes) {
    if (route.some((b) => !Number.isFinite(b.weight) || b.weight < 0)) return Number.NaN;
    const total = route.reduce((sum, b) => sum + b.weight, 0);
    const canary = route.filter((b) => b.service === service).reduce((s, b) => s + b.weight, 0);
    if (total > 0) largest = Math.max(largest, (canary * 100) / total);
  }
  return largest;
}

const kindIs =
  <K extends WriteFact['subject']['kind']>(kind: K) =>
  (fact: WriteFact): fact is WriteFact & { subject: Extract<WriteFact['subject'], { kind: K }> } =>
    fact.subject.kind === kind;

/**
 * The first two invariants for one Rollout, revision by revision. A revision's window runs
 * from the moment its trigger write took effect to the next trigger's (the run starts a
 * revision only once the previous one ended). Within it, a status write is the revision's own
 * when its currentRevision differs from the one recorded before the trigger.
 * - outcome: the last status written in the window has the phase the canary deserves;
 * - max-weight: no routing write gives the canary more than maxWeight unless a status write of
 *   the revision with phase Promoting, Finalising or Succeeded took effect before it;
 * - weight-after-rollback: the rollback begins with the first status write of the revision
 *   whose phase is Failed or whose failedChecks reached the threshold; no routing write after
 *   it gives the canary any weight.
 * The outcome of a revision the run cut short (a run that was not made) is not judged; the
 * other two invariants are, as for any revision.
 * Facts must be sorted by `completed`.
 */
export function checkRevisions(facts: WriteFact[], rollout: RolloutUnderTest): RevisionCheck {
  const key = `${rollout.namespace}/${rollout.name}`;
  const mine = facts.filter((f) => f.namespace === rollout.namespace && succeeded(f));
  const triggers = mine.filter((f) => f.userAgent === TRIGGER_AGENT);
  if (triggers.length !== rollout.revisions.length) {
    return {
      results: [],
      violations: [],
      problems: [
        `${key}: the audit log has ${triggers.length} writes by ${TRIGGER_AGENT}, the run started ${rollout.revisions.length} revisions`,
      ],
    };
  }
  const statuses = mine.filter(kindIs('rollout-status')).filter((f) => f.name === rollout.name);
  const routing = mine.filter(kindIs('routing')).filter((f) => f.name === rollout.name);
  const starts = [Number.NEGATIVE_INFINITY, ...triggers.map((t) => t.completed)];
  const results: RevisionResult[] = [];
  const violations: Violation[] = [];

  starts.forEach((start, index) => {
    const end = starts[index + 1] ?? Number.POSITIVE_INFINITY;
    const within = (f: WriteFact) => f.completed >= start && f.completed < end;
    const before = statuses.filter((f) => f.completed < start).at(-1);
    const previousRevision = before?.subject.status.currentRevision;
    const windowStatuses = statuses.filter(within);
    const own = windowStatuses.filter(
      (f) => before === undefined || f.subject.status.currentRevision !== previousRevision,
    );
    const promotion = own.find((f) => promotedPhases.has(f.subject.status.phase ?? ''));
    const rollback = own.find(
      (f) =>
        f.subject.status.phase === 'Failed' ||
        (f.subject.status.failedChecks ?? 0) >= rollout.threshold,
    );
    const revision = rollout.revisions[index - 1];
    const canary = revision?.canaryService ?? rollout.initialCanary;
    const about = (message: string) =>
      index === 0 ? `${message} (before the first revision)` : message;

    for (const write of routing.filter(within)) {
      if (write.subject.routes === null) continue;
      const share = canaryShare(write.subject.routes, canary);
      if (Number.isNaN(share)) {
        violations.push({
          invariant: 'max-weight',
          rollout: key,
          ...(index > 0 ? { revision: index } : {}),
          message: about(`a routing write held weights that are not numbers`),
          evidence: [evidenceOf(write)],
        });
        continue;
      }
      if (share > rollout.maxWeight && !(promotion && promotion.completed < write.completed)) {
        violations.push({
          invariant: 'max-weight',
          rollout: key,
          ...(index > 0 ? { revision: index } : {}),
          message: about(
            `canary ${canary} got ${round(share)}% before promotion (maxWeight ${rollout.maxWeight})`,
          ),
          evidence: [evidenceOf(write)],
        });
      }
      if (share > 0 && rollback && rollback.completed < write.completed) {
        violations.push({
          invariant: 'weight-after-rollback',
          rollout: key,
          revision: index,
          message: `canary ${canary} got ${round(share)}% after its rollback began`,
          evidence: [evidenceOf(rollback), evidenceOf(write)],
        });
      }
    }

    if (!revision) return;
    if (revision.cutShort) {
      results.push({
        rollout: key,
        revision: index,
        expected: revision.expected,
        actual: CUT_SHORT,
      });
      return;
    }
    const last = windowStatuses.at(-1);
    const stale = last !== undefined && !own.includes(last);
    const actual = !last
      ? 'no status written'
      : stale
        ? `${last.subject.status.phase ?? 'no phase'} of the previous revision`
        : (last.subject.status.phase ?? 'no phase');
    results.push({ rollout: key, revision: index, expected: revision.expected, actual });
    if (actual !== revision.expected) {
      violations.push({
        invariant: 'outcome',
        rollout: key,
        revision: index,
        message: `deserved ${revision.expected}, its last status written says ${actual}`,
        evidence: last ? [evidenceOf(last)] : [],
      });
    }
  });
  return { results, violations, problems: [] };
}

const round = (share: number) => Math.round(share * 10) / 10;
