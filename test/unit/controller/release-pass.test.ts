import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { ReleasePass } from '../../../src/controller/release-pass.js';
import type { RolloutRunner } from '../../../src/controller/runner.js';
import type { LedgerPass, SlotLedger } from '../../../src/controller/slot-ledger.js';
import { machineDocument } from '../../support/machine-documents.js';

const log = pino({ level: 'silent' });

/** A live machine waiting in the queue since `queuedAt`, recording the verdicts it hears. */
function queued(queuedAt: number) {
  const verdicts: boolean[] = [];
  const runner = {
    current: machineDocument({ state: 'Queued', phase: 'Waiting', canaryWeight: 0, queuedAt }),
    queueVerdict: (_condition: unknown, granted: boolean) => verdicts.push(granted),
  };
  return { runner: runner as unknown as RolloutRunner, verdicts };
}

const rollout = (key: string) => {
  const [namespace, name] = key.split('/');
  return { metadata: { namespace, name }, spec: {} } as unknown as Rollout;
};

function pass(
  runners: Map<string, RolloutRunner>,
  options: { leading?: boolean; ledger?: Pick<SlotLedger, 'pass'> } = {},
) {
  return new ReleasePass({
    runners,
    rollouts: () => [...runners.keys()].map(rollout),
    leading: () => options.leading ?? true,
    limits: { cluster: 1 },
    log,
    ...(options.ledger ? { ledger: options.ledger as SlotLedger } : {}),
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ReleasePass', () => {
  it('grants the first in line and tells the next why it waits, once however often it is asked', async () => {
    vi.useFakeTimers();
    const first = queued(1);
    const second = queued(2);
    const queue = pass(
      new Map([
        ['a/x', first.runner],
        ['b/y', second.runner],
      ]),
    );
    for (let i = 0; i < 5; i++) queue.schedule();
    await vi.advanceTimersByTimeAsync(100);
    expect(first.verdicts).toEqual([true]);
    expect(second.verdicts).toEqual([false]);
  });

  it('grants nothing while this replica holds no shard', async () => {
    vi.useFakeTimers();
    const only = queued(1);
    pass(new Map([['a/x', only.runner]]), { leading: false }).schedule();
    await vi.advanceTimersByTimeAsync(100);
    expect(only.verdicts).toEqual([]);
  });

  it('grants through the ledger, and tries again a second later when it cannot be reached', async () => {
    vi.useFakeTimers();
    const only = queued(1);
    const answers: (() => Promise<LedgerPass>)[] = [
      () => Promise.reject(new Error('connect ECONNREFUSED')),
      () =>
        Promise.resolve({
          verdicts: [{ key: 'a/x', granted: true, message: 'slot granted' }],
          contended: false,
        }),
    ];
    const ledger = { pass: vi.fn(() => (answers.shift() as () => Promise<LedgerPass>)()) };
    pass(new Map([['a/x', only.runner]]), { ledger }).schedule();
    await vi.advanceTimersByTimeAsync(100);
    expect(ledger.pass).toHaveBeenCalledTimes(1);
    expect(only.verdicts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ledger.pass).toHaveBeenCalledTimes(2);
    expect(only.verdicts).toEqual([true]);
  });

  it('puts the releases other replicas drive in the line, unless their machine cannot run', async () => {
    vi.useFakeTimers();
    const mine = queued(5);
    const stored = (key: string, changes: Record<string, unknown> = {}) => {
      const [namespace, name] = key.split('/');
      return {
        metadata: { namespace, name, ...(changes.metadata as object) },
        spec: { ...(changes.spec as object) },
        status: {
          machine: machineDocument({
            state: 'Queued',
            phase: 'Waiting',
            canaryWeight: 0,
            queuedAt: 1,
          }),
          ...(changes.status as object),
        },
      } as unknown as Rollout;
    };
    const others = [
      stored('a/queued'),
      stored('a/suspended', { spec: { suspend: true } }),
      stored('a/invalid', { status: { conditions: [{ type: 'Invalid', status: 'True' }] } }),
      stored('a/deleting', { metadata: { deletionTimestamp: '2026-12-04T00:00:00Z' } }),
    ];
    let line: string[] = [];
    const ledger = {
      pass: vi.fn((entries: () => { key: string; slot: { kind: string } }[]) => {
        line = entries()
          .filter((entry) => entry.slot.kind === 'waiting')
          .map((entry) => entry.key);
        return Promise.resolve({ verdicts: [], contended: false });
      }),
    };
    const runners = new Map([['b/mine', mine.runner]]);
    new ReleasePass({
      runners,
      rollouts: () => [...others, rollout('b/mine')],
      leading: () => true,
      limits: { cluster: 1 },
      log,
      ledger: ledger as unknown as SlotLedger,
    }).schedule();
    await vi.advanceTimersByTimeAsync(100);
    expect(line).toEqual(['a/queued', 'b/mine']);
  });
});
