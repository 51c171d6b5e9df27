import { describe, expect, it } from 'vitest';
import type { WriteFact } from '../../../chaos/audit-log.js';
import {
  CUT_SHORT,
  canaryShare,
  checkRevisions,
  type RolloutUnderTest,
} from '../../../chaos/revisions.js';
import { byCompletion, NS, ROLLOUT, status, trafficSplit, trigger } from './audit-events.js';

const primary = `${ROLLOUT}-primary`;
const canary = `${ROLLOUT}-canary`;

const rollout = (...expected: Array<'Succeeded' | 'Failed'>): RolloutUnderTest => ({
  namespace: NS,
  name: ROLLOUT,
  maxWeight: 50,
  threshold: 3,
  initialCanary: canary,
  revisions: expected.map((e) => ({ expected: e, canaryService: canary })),
});

const split = (at: number, canaryWeight: number) =>
  trafficSplit(at, { [primary]: 100 - canaryWeight, [canary]: canaryWeight });

/** Initialized, then one revision that steps 10..50 and is promoted. */
const healthyRevision: WriteFact[] = [
  split(1, 0),
  status(1.1, { phase: 'Initialized', revision: 'r0' }),
  trigger(2),
  status(2.5, { phase: 'Progressing', revision: 'r1' }),
  split(3, 10),
  split(4, 30),
  split(5, 50),
  status(6, { phase: 'Promoting', canaryWeight: 50, revision: 'r1' }),
  split(7, 0),
  status(7.1, { phase: 'Succeeded', revision: 'r1' }),
];

/** A second revision that fails its third check and rolls back. */
const faultyRevision: WriteFact[] = [
  trigger(10),
  status(10.5, { phase: 'Progressing', revision: 'r2' }),
  split(11, 10),
  status(12, { phase: 'Progressing', canaryWeight: 10, failedChecks: 2, revision: 'r2' }),
  status(13, { phase: 'Failed', canaryWeight: 10, failedChecks: 3, revision: 'r2' }),
  split(13.1, 0),
  status(13.2, { phase: 'Failed', canaryWeight: 0, failedChecks: 3, revision: 'r2' }),
];

describe('canaryShare', () => {
  it.each([
    [
      [
        [
          { service: 'c', weight: 30 },
          { service: 'p', weight: 70 },
        ],
      ],
      30,
    ],
    [
      [
        [
          { service: 'c', weight: 1 },
          { service: 'p', weight: 3 },
        ],
      ],
      25,
    ],
    [[[{ service: 'p', weight: 100 }]], 0],
    [
      [
        [
          { service: 'c', weight: 0 },
          { service: 'p', weight: 0 },
        ],
      ],
      0,
    ],
    [[[{ service: 'p', weight: 100 }], [{ service: 'c', weight: 1 }]], 100],
    [[[{ service: 'c', weight: Number.NaN }]], Number.NaN],
  ])('of %j is %d', (routes, share) => {
    expect(canaryShare(routes, 'c')).toBe(share);
  });
});

describe('checkRevisions', () => {
  it('finds nothing wrong with a promotion and a rollback that keep to the rules', () => {
    const check = checkRevisions(
      byCompletion([...healthyRevision, ...faultyRevision]),
      rollout('Succeeded', 'Failed'),
    );
    expect(check.violations).toEqual([]);
    expect(check.problems).toEqual([]);
    expect(check.results).toEqual([
      { rollout: `${NS}/${ROLLOUT}`, revision: 1, expected: 'Succeeded', actual: 'Succeeded' },
      { rollout: `${NS}/${ROLLOUT}`, revision: 2, expected: 'Failed', actual: 'Failed' },
    ]);
  });

  it('reports a revision whose last status is not the phase it deserved', () => {
    const check = checkRevisions(byCompletion(healthyRevision), rollout('Failed'));
    expect(check.violations).toMatchObject([
      {
        invariant: 'outcome',
        revision: 1,
        message: 'deserved Failed, its last status written says Succeeded',
        evidence: [
          { userAgent: 'fledge-controller/a', detail: expect.stringContaining('Succeeded') },
        ],
      },
    ]);
  });

  it('judges a revision by the last status written, even one written after it ended', () => {
    const late = status(8, { phase: 'Progressing', canaryWeight: 20, revision: 'r1' });
    const check = checkRevisions(byCompletion([...healthyRevision, late]), rollout('Succeeded'));
    expect(check.results[0]?.actual).toBe('Progressing');
    expect(check.violations.map((v) => v.invariant)).toEqual(['outcome']);
  });

  it('reports a revision the controller never reported on, and one it wrote nothing for', () => {
    const stale = [
      ...healthyRevision,
      trigger(10),
      status(11, { phase: 'Succeeded', revision: 'r1' }),
    ];
    expect(
      checkRevisions(byCompletion(stale), rollout('Succeeded', 'Failed')).results[1]?.actual,
    ).toBe('Succeeded of the previous revision');
    const silent = [...healthyRevision, trigger(10)];
    expect(
      checkRevisions(byCompletion(silent), rollout('Succeeded', 'Failed')).results[1]?.actual,
    ).toBe('no status written');
  });

  it('leaves the outcome of a revision the run cut short unjudged, and still checks its weights', () => {
    const cut = (...writes: WriteFact[]) => {
      const under = rollout('Succeeded', 'Succeeded');
      const second = under.revisions[1];
      if (second) second.cutShort = true;
      return checkRevisions(byCompletion([...healthyRevision, trigger(10), ...writes]), under);
    };
    const midway = cut(status(10.5, { phase: 'Progressing', canaryWeight: 10, revision: 'r2' }));
    expect(midway.results[1]).toMatchObject({ revision: 2, actual: CUT_SHORT });
    expect(midway.violations).toEqual([]);
    const over = cut(status(10.5, { phase: 'Progressing', revision: 'r2' }), split(11, 70));
    expect(over.violations).toMatchObject([{ invariant: 'max-weight', revision: 2 }]);
  });

  it('reports a canary given more than maxWeight before promotion', () => {
    const over = [
      trigger(2),
      status(2.5, { phase: 'Progressing', revision: 'r1' }),
      split(3, 60),
      status(4, { phase: 'Promoting', revision: 'r1' }),
      status(5, { phase: 'Succeeded', revision: 'r1' }),
    ];
    const check = checkRevisions(byCompletion(over), rollout('Succeeded'));
    expect(check.violations).toMatchObject([
      {
        invariant: 'max-weight',
        revision: 1,
        message: `canary ${canary} got 60% before promotion (maxWeight 50)`,
        evidence: [{ detail: `${primary}=40 ${canary}=60` }],
      },
    ]);
  });

  it('allows all traffic on the canary backend once promotion is recorded, not before', () => {
    const backend = (promotedFirst: boolean) => [
      trigger(2),
      status(2.5, { phase: 'Progressing', revision: 'r1' }),
      split(3, 50),
      status(promotedFirst ? 4 : 4.2, { phase: 'Promoting', canaryWeight: 50, revision: 'r1' }),
      split(4.1, 100),
      status(5, { phase: 'Succeeded', canaryWeight: 100, revision: 'r1' }),
    ];
    expect(checkRevisions(byCompletion(backend(true)), rollout('Succeeded')).violations).toEqual(
      [],
    );
    expect(
      checkRevisions(byCompletion(backend(false)), rollout('Succeeded')).violations.map(
        (v) => v.invariant,
      ),
    ).toEqual(['max-weight']);
  });

  it('reports weight given to the canary after its rollback began with a Failed status', () => {
    const late = split(14, 20);
    const check = checkRevisions(
      byCompletion([...healthyRevision, ...faultyRevision, late]),
      rollout('Succeeded', 'Failed'),
    );
    expect(check.violations).toMatchObject([
      {
        invariant: 'weight-after-rollback',
        revision: 2,
        message: `canary ${canary} got 20% after its rollback began`,
        evidence: [{ detail: expect.stringContaining('phase Failed') }, { auditId: late.auditId }],
      },
    ]);
  });

  it('dates the rollback from the status that reached the threshold, whatever its phase', () => {
    const facts = [
      trigger(2),
      status(2.5, { phase: 'Progressing', revision: 'r1' }),
      split(3, 10),
      status(4, { phase: 'Progressing', canaryWeight: 10, failedChecks: 3, revision: 'r1' }),
      split(4.5, 20),
      status(5, { phase: 'Failed', failedChecks: 3, revision: 'r1' }),
    ];
    const check = checkRevisions(byCompletion(facts), rollout('Failed'));
    expect(check.violations.map((v) => v.invariant)).toEqual(['weight-after-rollback']);
  });

  it("does not hold the previous revision's rollback against the next revision", () => {
    const next = [
      trigger(20),
      // A Failed status of revision 2 that lands after revision 3 started.
      status(20.2, { phase: 'Failed', failedChecks: 3, revision: 'r2' }),
      status(20.5, { phase: 'Progressing', revision: 'r3' }),
      split(21, 10),
      status(22, { phase: 'Promoting', canaryWeight: 10, revision: 'r3' }),
      split(23, 0),
      status(23.1, { phase: 'Succeeded', revision: 'r3' }),
    ];
    const check = checkRevisions(
      byCompletion([...healthyRevision, ...faultyRevision, ...next]),
      rollout('Succeeded', 'Failed', 'Succeeded'),
    );
    expect(check.violations).toEqual([]);
  });

  it('ignores refused writes', () => {
    const refused = trafficSplit(14, { [primary]: 0, [canary]: 100 }, { code: 409 });
    const check = checkRevisions(
      byCompletion([...healthyRevision, ...faultyRevision, refused]),
      rollout('Succeeded', 'Failed'),
    );
    expect(check.violations).toEqual([]);
  });

  it('says the log cannot be checked when its trigger writes do not match the run', () => {
    const check = checkRevisions(byCompletion(healthyRevision), rollout('Succeeded', 'Failed'));
    expect(check.problems).toEqual([
      `${NS}/${ROLLOUT}: the audit log has 1 writes by fledge-chaos/trigger, the run started 2 revisions`,
    ]);
    expect(check.results).toEqual([]);
  });
});
