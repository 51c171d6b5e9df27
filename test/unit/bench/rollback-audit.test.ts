import { describe, expect, it } from 'vitest';
import { mostAtOnce, rollbackTimings } from '../../../bench/rollback-audit.js';
import type { Subject, WriteFact } from '../../../chaos/audit-log.js';

let id = 0;
/** A write the API server received at `receivedMs` and completed at `completedMs`. */
function fact(name: string, receivedMs: number, completedMs: number, subject: Subject): WriteFact {
  id += 1;
  return {
    auditId: `a-${id}`,
    verb: 'patch',
    userAgent: 'fledge',
    code: 200,
    received: receivedMs * 1000,
    completed: completedMs * 1000,
    namespace: 'bench',
    name,
    subject,
  };
}
const status = (failedChecks: number): Subject => ({
  kind: 'rollout-status',
  status: { failedChecks },
});
const split = (name: string, canary: number): Subject => ({
  kind: 'routing',
  resource: 'trafficsplits.split.smi-spec.io',
  routes: [
    [
      { service: `${name}-primary`, weight: 100 - canary },
      { service: `${name}-canary`, weight: canary },
    ],
  ],
});

describe('rollback timings from the audit log', () => {
  it('times each sampled rollback from the first of its two writes received to its weight 0 stored', () => {
    const facts = [
      fact('app-0', 0, 5, split('app-0', 0)),
      fact('app-0', 6, 10, split('app-0', 20)),
      fact('app-0', 20, 30, status(1)),
      fact('app-0', 1000, 1040, status(2)),
      fact('app-1', 0, 5, split('app-1', 10)),
      // app-1's weight write went out beside its deciding status and landed first.
      fact('app-1', 1002, 1030, split('app-1', 0)),
      fact('app-1', 1000, 1500, status(2)),
      fact('app-0', 1045, 1100, split('app-0', 0)),
      // A later write of the same object does not count again.
      fact('app-0', 2000, 2010, split('app-0', 0)),
    ];

    const { timings, unobserved } = rollbackTimings(facts, new Set(['app-0', 'app-1']), 2);

    expect(Object.fromEntries(timings)).toEqual({
      'app-0': {
        failToZeroMs: 100,
        routeWriteMs: 55,
        statusWriteMs: 40,
        apartMs: 45,
        spanUs: [1_000_000, 1_100_000],
      },
      'app-1': {
        failToZeroMs: 30,
        routeWriteMs: 28,
        statusWriteMs: 500,
        apartMs: 2,
        spanUs: [1_000_000, 1_030_000],
      },
    });
    expect(unobserved).toEqual([]);
  });

  it('says why a sampled rollout has no timing, and ignores refused writes and others', () => {
    const refused = { ...fact('app-1', 0, 5, status(2)), code: 409 };
    const facts = [
      fact('app-0', 0, 10, status(2)),
      fact('app-0', 20, 30, split('app-0', 10)),
      // Weight 0 before the canary had any: the release's start, not a rollback.
      fact('app-1', 1, 2, split('app-1', 0)),
      // A weight 0 a minute away from the deciding status is not its rollback's.
      fact('app-2', 0, 5, split('app-2', 10)),
      fact('app-2', 10, 20, split('app-2', 0)),
      fact('app-2', 60_000, 60_010, status(2)),
      refused,
      fact('app-9', 40, 50, status(2)),
      fact('app-9', 60, 70, split('app-9', 0)),
    ];

    const { timings, unobserved } = rollbackTimings(facts, new Set(['app-0', 'app-1', 'app-2']), 2);

    expect(timings.size).toBe(0);
    expect(unobserved).toEqual([
      'app-0: no weight 0 written after a weight above 0',
      'app-1: no status with 2 failed checks written',
      'app-2: its weight 0 was not written with its deciding status',
    ]);
  });

  it('counts the most rollbacks in flight at the API server at once', () => {
    const timing = (fromMs: number, toMs: number) => ({
      failToZeroMs: toMs - fromMs,
      routeWriteMs: 0,
      statusWriteMs: 0,
      apartMs: 0,
      spanUs: [fromMs * 1000, toMs * 1000] as [number, number],
    });

    expect(mostAtOnce([])).toBe(0);
    // Two overlap, the third starts as the first ends: touching is not overlapping.
    expect(mostAtOnce([timing(0, 100), timing(50, 150), timing(100, 120)])).toBe(2);
    expect(mostAtOnce([timing(0, 300), timing(10, 20), timing(15, 250), timing(200, 400)])).toBe(3);
  });
});
