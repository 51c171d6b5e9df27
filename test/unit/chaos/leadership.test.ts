import { describe, expect, it } from 'vitest';
import type { WriteFact } from '../../../chaos/audit-log.js';
import { checkSingleDriver } from '../../../chaos/leadership.js';
import {
  byCompletion,
  controller,
  LEASE,
  lease,
  NS,
  ROLLOUT,
  status,
  trafficSplit,
} from './audit-events.js';

const rolloutOf = (fact: WriteFact) => `${fact.namespace}/${fact.name}`;
const check = (facts: WriteFact[]) => checkSingleDriver(byCompletion(facts), LEASE, rolloutOf);
const write = (at: number, identity: string, code?: number) =>
  status(at, { phase: 'Progressing', revision: 'r1' }, { userAgent: controller(identity), code });

/** a leads from 0 s, renewing each second; b takes over at 5 s once a's lease ran out. */
const handOver = [
  lease(0, 'a', { transitions: 0 }),
  lease(1, 'a', { transitions: 0 }),
  write(1.5, 'a'),
  lease(2, 'a', { transitions: 0 }),
  lease(5.5, 'b', { transitions: 1 }),
  write(5.6, 'b'),
  lease(6.5, 'b', { transitions: 1 }),
];

describe('checkSingleDriver', () => {
  it('accepts writes of each term by its holder, and counts terms and writes', () => {
    const result = check(handOver);
    expect(result.violations).toEqual([]);
    expect(result).toMatchObject({ terms: 2, accepted: 2, refused: 0 });
  });

  it('measures each hand-over from the last Lease write of one holder to the first of the next', () => {
    const released = lease(8, '', { userAgent: controller('b'), durationSeconds: 1 });
    const result = check([...handOver, released, lease(8.4, 'c', { transitions: 2 })]);
    // a renewed last at 2 s, b acquired at 5.5 s; b released at 8 s, c acquired at 8.4 s.
    expect(result.handOversMs.map((ms) => Math.round(ms))).toEqual([3500, 400]);
  });

  it('reports two identities writing one Rollout within one lease term', () => {
    const intruder = trafficSplit(6, { [`${ROLLOUT}-canary`]: 10 }, { userAgent: controller('a') });
    const result = check([...handOver, intruder]);
    expect(result.violations).toMatchObject([
      {
        invariant: 'single-driver',
        rollout: `${NS}/${ROLLOUT}`,
        message: 'controller a wrote while b held the Lease (term 1) (1 write)',
        evidence: [
          { userAgent: controller('b'), detail: expect.stringContaining('holder "b"') },
          { auditId: intruder.auditId },
        ],
      },
    ]);
  });

  it('reports a write after its writer released the Lease', () => {
    const released = lease(3, '', { userAgent: controller('a'), durationSeconds: 1 });
    const result = check([lease(0, 'a'), lease(1, 'a'), released, write(3.2, 'a')]);
    expect(result.violations.map((v) => v.message)).toEqual([
      'controller a wrote after the Lease was released (term 0) (1 write)',
    ]);
  });

  it('leaves a holder whose lease ran out alone until another replica takes the Lease', () => {
    // Records carry the holder's clock; a loaded API server may finish a renewal seconds
    // after its renewTime. Only the next term's first write shows that someone took over.
    const result = check([lease(0, 'a'), lease(1, 'a'), write(3.9, 'a'), write(6, 'a')]);
    expect(result.violations).toEqual([]);
  });

  it('reports a write before any replica held the Lease', () => {
    expect(check([write(0.5, 'a'), lease(1, 'a')]).violations.map((v) => v.message)).toEqual([
      'controller a wrote before any replica held the Lease (1 write)',
    ]);
  });

  it('judges a write by the Lease when the API server received it, not when it finished', () => {
    // Received while a led, finished after b took over: a's write was sent in its own term.
    const slow = status(
      4.9,
      { phase: 'Progressing', revision: 'r1' },
      { userAgent: controller('a'), completed: 5.8 },
    );
    expect(check([...handOver, slow]).violations).toEqual([]);
  });

  it('counts refused writes and does not hold them against anyone', () => {
    const result = check([...handOver, write(6, 'a', 409), write(6.1, 'a', 422)]);
    expect(result.violations).toEqual([]);
    expect(result.refused).toBe(2);
  });

  it('groups the writes of one writer in one term into one violation quoting the first three', () => {
    const deposed = [6, 6.1, 6.2, 6.3, 6.4].map((t) => write(t, 'a'));
    const result = check([...handOver, ...deposed]);
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]?.message).toBe(
      'controller a wrote while b held the Lease (term 1) (5 writes, the first 3 quoted)',
    );
    expect(result.violations[0]?.evidence.map((e) => e.auditId)).toEqual([
      handOver[4]?.auditId,
      ...deposed.slice(0, 3).map((d) => d.auditId),
    ]);
  });

  it('only reads the Lease it is given', () => {
    const other = { ...lease(5.7, 'a', { transitions: 2 }), name: 'someone-else' };
    expect(check([...handOver, other, write(6, 'b')]).violations).toEqual([]);
  });
});
