import type { WriteFact } from './audit-log.js';
import { evidenceOf, succeeded, type Violation } from './evidence.js';

/** Each replica's User-Agent is this plus its identity, which is also its Lease holderIdentity. */
export const CONTROLLER_AGENT = 'fledge-controller/';

export interface LeaseKey {
  namespace: string;
  name: string;
}

export interface LeadershipCheck {
  violations: Violation[];
  /** Successive holders of the Lease (a release counts as a term without a holder). */
  terms: number;
  /** Writes by controllers (Lease writes left out) the API server accepted, and refused. */
  accepted: number;
  refused: number;
  /**
   * Each hand-over's leaderless time, in ms: from the previous holder's last Lease write (its
   * last renewal, or its release) to the next holder's first, as the API server applied them.
   */
  handOversMs: number[];
}

type LeaseFact = WriteFact & { subject: Extract<WriteFact['subject'], { kind: 'lease' }> };

/** How many writes of one group a violation quotes; the count says how many there were. */
const quoted = 3;

/**
 * One driver per Rollout, from the Lease writes in the audit log: a controller's write is
 * legitimate only if, when the API server received it, the last Lease write that had taken
 * effect named the writer as holder. So no two identities write one Rollout within one lease
 * term, and no replica writes before it held the Lease or after it released it. A holder
 * whose lease has run out but that nobody replaced is not judged here: Lease records carry
 * the holder's clock, and others may only take over once they have seen it unchanged for a
 * lease duration, which the next term's first write shows. Writes are grouped by Rollout,
 * writer and term; `rolloutOf` names the Rollout of a write.
 */
export function checkSingleDriver(
  facts: WriteFact[],
  lease: LeaseKey,
  rolloutOf: (fact: WriteFact) => string,
): LeadershipCheck {
  const leases = facts
    .filter(
      (f): f is LeaseFact =>
        f.subject.kind === 'lease' &&
        f.namespace === lease.namespace &&
        f.name === lease.name &&
        succeeded(f),
    )
    .sort((a, b) => a.completed - b.completed);
  const writes = facts.filter(
    (f) => f.userAgent.startsWith(CONTROLLER_AGENT) && f.subject.kind !== 'lease',
  );
  const accepted = writes.filter(succeeded).sort((a, b) => a.received - b.received);

  const groups = new Map<string, { violation: Violation; count: number; quotedWrites: number }>();
  let next = 0;
  for (const write of accepted) {
    while (next < leases.length && (leases[next] as LeaseFact).completed <= write.received) next++;
    const held = leases[next - 1];
    const identity = write.userAgent.slice(CONTROLLER_AGENT.length);
    const fault = faultOf(identity, held);
    if (!fault) continue;
    const rollout = rolloutOf(write);
    const groupKey = `${rollout}|${identity}|${next - 1}|${fault.kind}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = {
        violation: {
          invariant: 'single-driver',
          rollout,
          message: fault.message,
          evidence: held ? [evidenceOf(held)] : [],
        },
        count: 0,
        quotedWrites: 0,
      };
      groups.set(groupKey, group);
    }
    group.count++;
    if (group.quotedWrites < quoted) {
      group.violation.evidence.push(evidenceOf(write));
      group.quotedWrites++;
    }
  }
  const violations = [...groups.values()].map(({ violation, count }) => ({
    ...violation,
    message: `${violation.message} (${count} write${count === 1 ? '' : 's'}${count > quoted ? `, the first ${quoted} quoted` : ''})`,
  }));
  return {
    violations,
    terms: leases.filter((l, i) => i === 0 || leases[i - 1]?.subject.holder !== l.subject.holder)
      .length,
    accepted: accepted.length,
    refused: writes.length - accepted.length,
    handOversMs: handOvers(leases),
  };
}

function handOvers(leases: LeaseFact[]): number[] {
  const gaps: number[] = [];
  let holder: string | undefined;
  let lastWrite: number | undefined;
  for (const write of leases) {
    const next = write.subject.holder;
    if (next !== '' && next !== holder && lastWrite !== undefined) {
      gaps.push((write.completed - lastWrite) / 1000);
    }
    holder = next;
    lastWrite = write.completed;
  }
  return gaps;
}

function faultOf(
  identity: string,
  held: LeaseFact | undefined,
): { kind: string; message: string } | undefined {
  const writer = `controller ${identity}`;
  if (!held) return { kind: 'none', message: `${writer} wrote before any replica held the Lease` };
  const { holder, leaseTransitions } = held.subject;
  const term = `term ${leaseTransitions ?? '?'}`;
  if (holder === '') {
    return { kind: 'released', message: `${writer} wrote after the Lease was released (${term})` };
  }
  if (holder !== identity) {
    return { kind: 'other', message: `${writer} wrote while ${holder} held the Lease (${term})` };
  }
  return undefined;
}
