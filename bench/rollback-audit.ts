import type { WriteFact } from '../chaos/audit-log.js';

/**
 * How long each sampled rollback took, from the API server's audit log rather than from
 * watches: two watch streams are not ordered with each other, and under load either can lag.
 */

export interface RollbackTiming {
  /**
   * fail->w0: from the first of the rollback's two writes received (the status that decides
   * it, the weight write; the controller sends both at once) to weight 0 stored, in ms.
   */
  failToZeroMs: number;
  /** The API server's time on the weight write, from received to stored. */
  routeWriteMs: number;
  /** The API server's time on the deciding status. */
  statusWriteMs: number;
  /** How long after the deciding status the weight write was received (negative: before). */
  apartMs: number;
  /** When the first of the two writes was received and when weight 0 was stored (µs, the log's clock). */
  spanUs: [number, number];
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

/** The rollback's two writes leave together: a weight 0 further from its status is another's (µs). */
const PAIRED_WITHIN_US = 30_000_000;

/**
 * For each sampled rollout: its deciding status (the first successful status write with
 * `threshold` failed checks) and its rollback's weight write (the first successful write of
 * its routing object that gives the canary weight 0 after one that gave it more), in either
 * order. `facts` are in the order the API server completed them.
 */
export function rollbackTimings(
  facts: readonly WriteFact[],
  sampled: ReadonlySet<string>,
  threshold: number,
): RollbackTimings {
  const decided = new Map<string, WriteFact>();
  const onCanary = new Set<string>();
  const zeroed = new Map<string, WriteFact>();
  for (const fact of facts) {
    if (!sampled.has(fact.name) || fact.code >= 300) continue;
    const { subject } = fact;
    if (subject.kind === 'rollout-status') {
      const deciding = (subject.status.failedChecks ?? 0) >= threshold;
      if (deciding && !decided.has(fact.name)) decided.set(fact.name, fact);
      continue;
    }
    const weight = canaryWeightOf(fact, fact.name);
    if (weight === undefined || zeroed.has(fact.name)) continue;
    if (weight > 0) onCanary.add(fact.name);
    else if (onCanary.has(fact.name)) zeroed.set(fact.name, fact);
  }
  const timings = new Map<string, RollbackTiming>();
  const unobserved: string[] = [];
  for (const name of sampled) {
    const decision = decided.get(name);
    const zero = zeroed.get(name);
    if (!decision) unobserved.push(`${name}: no status with ${threshold} failed checks written`);
    else if (!zero) unobserved.push(`${name}: no weight 0 written after a weight above 0`);
    else if (Math.abs(zero.received - decision.received) > PAIRED_WITHIN_US) {
      unobserved.push(`${name}: its weight 0 was not written with its deciding status`);
    } else {
      timings.set(name, {
        failToZeroMs: (zero.completed - Math.min(decision.received, zero.received)) / 1000,
        routeWriteMs: (zero.completed - zero.received) / 1000,
        statusWriteMs: (decision.completed - decision.received) / 1000,
        apartMs: (zero.received - decision.received) / 1000,
        spanUs: [Math.min(decision.received, zero.received), zero.completed],
      });
    }
  }
  return { timings, unobserved };
}

/**
 * The most rollbacks in flight at the API server at once (from the first write received to
 * weight 0 stored): canaries of one bad image fail together, and their writes share the
 * API server's cores.
 */
export function mostAtOnce(timings: Iterable<RollbackTiming>): number {
  const edges: Array<[number, number]> = [];
  for (const { spanUs } of timings) edges.push([spanUs[0], 1], [spanUs[1], -1]);
  // At one instant an end comes before a start: touching spans do not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, change] of edges) {
    now += change;
    most = Math.max(most, now);
  }
  return most;
}
