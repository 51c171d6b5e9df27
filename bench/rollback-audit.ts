import type { WriteFact } from '../chaos/audit-log.js';

/**
 * How long each sampled rollback took, from the API server's audit log rather than from
 * watches: two watch streams are not ordered with each other, and under load either can lag.
 */

export interface RollbackTiming {
  /** From the deciding status stored to the canary's weight 0 stored, in ms. */
  storedMs: number;
  /** From the deciding status received to the canary's weight 0 stored: both writes, in ms. */
  bothWritesMs: number;
  /** storedMs in two parts: from the deciding status stored to the weight write received... */
  betweenMs: number;
  /** ...and the API server's time on the weight write, from received to stored. */
  routeWriteMs: number;
}

export interface RollbackTimings {
  timings: Map<string, RollbackTiming>;
  /** Why a sampled rollout has no timing, one phrase per rollout; empty when all have one. */
  unobserved: string[];
}

const canaryWeightOf = (fact: WriteFact, name: string): number | undefined => {
  if (fact.subject.kind !== 'routing' || !fact.subject.routes) return undefined;
  for (const route of fact.subject.routes) {
    const canary = route.find((backend) => backend.service === `${name}-canary`);
    if (canary) return canary.weight;
  }
  return undefined;
};

/**
 * For each sampled rollout: its deciding status (the first successful status write with
 * `threshold` failed checks) and the first successful write of its routing object after it that
 * gives the canary weight 0. `facts` are in the order the API server completed them.
 */
export function rollbackTimings(
  facts: readonly WriteFact[],
  sampled: ReadonlySet<string>,
  threshold: number,
): RollbackTimings {
  const decided = new Map<string, WriteFact>();
  const timings = new Map<string, RollbackTiming>();
  for (const fact of facts) {
    if (!sampled.has(fact.name) || fact.code >= 300 || timings.has(fact.name)) continue;
    const decision = decided.get(fact.name);
    if (!decision) {
      const { subject } = fact;
      if (subject.kind === 'rollout-status' && (subject.status.failedChecks ?? 0) >= threshold) {
        decided.set(fact.name, fact);
      }
      continue;
    }
    if (canaryWeightOf(fact, fact.name) !== 0) continue;
    timings.set(fact.name, {
      storedMs: (fact.completed - decision.completed) / 1000,
      bothWritesMs: (fact.completed - decision.received) / 1000,
      betweenMs: (fact.received - decision.completed) / 1000,
      routeWriteMs: (fact.completed - fact.received) / 1000,
    });
  }
  const unobserved = [...sampled]
    .filter((name) => !timings.has(name))
    .map((name) =>
      decided.has(name)
        ? `${name}: no weight 0 written after the deciding status`
        : `${name}: no status with ${threshold} failed checks written`,
    );
  return { timings, unobserved };
}
