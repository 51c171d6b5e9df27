import type { WriteFact } from './audit-log.js';
import type { Violation } from './evidence.js';
import { checkSingleDriver, type LeaseKey } from './leadership.js';
import { checkRevisions, type RevisionResult, type RolloutUnderTest } from './revisions.js';

export interface AuditCheck {
  violations: Violation[];
  /** Each revision: what it deserved and how it ended. */
  results: RevisionResult[];
  /** Why part of the log could not be checked; a run with any is not a pass either. */
  problems: string[];
  leaseTerms: number;
  /** Leaderless time of each hand-over, in ms (see LeadershipCheck). */
  handOversMs: number[];
  controllerWrites: { accepted: number; refused: number };
}

/**
 * Every invariant over the audit log's facts (sorted by `completed`), for the Rollouts the
 * run drove, each in a namespace of its own, led through `lease`.
 */
export function checkAuditLog(
  facts: WriteFact[],
  rollouts: RolloutUnderTest[],
  lease: LeaseKey,
): AuditCheck {
  const byNamespace = new Map(rollouts.map((r) => [r.namespace, `${r.namespace}/${r.name}`]));
  const revisions = rollouts.map((rollout) => checkRevisions(facts, rollout));
  const leadership = checkSingleDriver(
    facts,
    lease,
    (fact) => byNamespace.get(fact.namespace) ?? `${fact.namespace}/${fact.name}`,
  );
  return {
    violations: [...revisions.flatMap((r) => r.violations), ...leadership.violations],
    results: revisions.flatMap((r) => r.results),
    problems: revisions.flatMap((r) => r.problems),
    leaseTerms: leadership.terms,
    handOversMs: leadership.handOversMs,
    controllerWrites: { accepted: leadership.accepted, refused: leadership.refused },
  };
}
