import { describe, expect, it } from 'vitest';
import {
  expiresAt,
  type LeaseSpec,
  leaseDurationSeconds,
  leaseTimings,
  nextStep,
  observe,
} from '../../../src/kube/lease-record.js';

describe('leaseTimings', () => {
  it("defaults to client-go's 15 s / 10 s / 2 s, scaled to the lease duration", () => {
    expect(leaseTimings()).toEqual({
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(leaseTimings({ leaseDurationMs: 3_000 })).toEqual({
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 400,
    });
  });

  it.each([
    [
      { leaseDurationMs: 2_000, renewDeadlineMs: 2_000 },
      /renewDeadline \(2000 ms\) must be shorter than leaseDuration/,
    ],
    [
      { leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 1_000 },
      /retryPeriod \(1000 ms\) must be shorter than renewDeadline/,
    ],
    [{ leaseDurationMs: 500 }, /a Lease counts whole seconds/],
    [
      { leaseDurationMs: 2 ** 31 },
      /leaseDurationMs is 2147483648 ms; it must be .* at most 2147483647 ms/,
    ],
    [{ leaseDurationMs: 60_000, renewDeadlineMs: Number.NaN }, /renewDeadlineMs is NaN/],
    [{ leaseDurationMs: 60_000, retryPeriodMs: 0 }, /retryPeriodMs is 0 ms/],
  ])('refuses %o', (given, message) => {
    expect(() => leaseTimings(given)).toThrow(message);
  });

  it('writes the duration rounded up to whole seconds, so others never wait less', () => {
    expect(leaseDurationSeconds(leaseTimings({ leaseDurationMs: 1_500 }))).toBe(2);
    expect(leaseDurationSeconds(leaseTimings({ leaseDurationMs: 3_000 }))).toBe(3);
  });
});

describe('observe', () => {
  const spec: LeaseSpec = {
    holderIdentity: 'a',
    leaseDurationSeconds: 3,
    renewTime: '2024-01-01T00:00:00.000000Z',
    leaseTransitions: 1,
  };

  it('keeps the time it first saw a record, and restarts it when the record changes', () => {
    const first = observe(undefined, spec, 100);
    expect(observe(first, { ...spec }, 900)).toBe(first);
    expect(expiresAt(first)).toBe(3_100);
    const renewed = observe(first, { ...spec, renewTime: '2024-01-01T00:00:01.000000Z' }, 900);
    expect(renewed).toMatchObject({ holder: 'a', at: 900 });
    expect(expiresAt(renewed)).toBe(3_900);
  });

  it('ignores the timestamps inside the record: only this clock decides', () => {
    const farFuture = { ...spec, renewTime: '2999-01-01T00:00:00.000000Z' };
    expect(expiresAt(observe(undefined, farFuture, 100))).toBe(3_100);
  });
});

describe('nextStep', () => {
  const wall = new Date('2024-05-01T10:00:00.000Z');
  const candidate = { identity: 'me', leading: false, leaseDurationSeconds: 2 };
  const held = (holder: string, transitions = 4): LeaseSpec => ({
    holderIdentity: holder,
    leaseDurationSeconds: 2,
    acquireTime: '2024-05-01T09:00:00.000000Z',
    renewTime: '2024-05-01T09:59:59.000000Z',
    leaseTransitions: transitions,
  });
  const seenAt = (spec: LeaseSpec, at: number) => observe(undefined, spec, at);

  it('creates the first record as term 0', () => {
    expect(nextStep(undefined, undefined, candidate, 0, wall)).toEqual({
      action: 'write',
      acquiring: true,
      spec: {
        holderIdentity: 'me',
        leaseDurationSeconds: 2,
        acquireTime: '2024-05-01T10:00:00.000000Z',
        renewTime: '2024-05-01T10:00:00.000000Z',
        leaseTransitions: 0,
      },
    });
  });

  it.each([
    ['another holder, lease running', held('other'), 1_000, false, 'follow'],
    ['another holder, one ms before expiry', held('other'), 1_999, false, 'follow'],
    ['another holder, at expiry', held('other'), 2_000, false, 'acquire'],
    ['a released record', held(''), 0, false, 'acquire'],
    ['its own record while not in a term', held('me'), 0, false, 'acquire'],
    ['its own record while in a term', held('me'), 0, true, 'renew'],
    ['another holder while in a term', held('other'), 0, true, 'follow'],
    ['a record released by someone while in a term', held(''), 5_000, true, 'follow'],
  ])('%s: %s', (_, spec, now, leading, expected) => {
    const step = nextStep(spec, seenAt(spec, 0), { ...candidate, leading }, now, wall);
    const kind = step.action === 'follow' ? 'follow' : step.acquiring ? 'acquire' : 'renew';
    expect(kind).toBe(expected);
  });

  it('counts a new term on every acquire, and keeps the count and acquire time on a renew', () => {
    const acquire = nextStep(held('other'), seenAt(held('other'), 0), candidate, 2_000, wall);
    expect(acquire).toMatchObject({
      spec: {
        holderIdentity: 'me',
        leaseTransitions: 5,
        acquireTime: '2024-05-01T10:00:00.000000Z',
      },
      tookOverFrom: { identity: 'other', expiredAt: 2_000 },
    });
    const renew = nextStep(
      held('me'),
      seenAt(held('me'), 0),
      { ...candidate, leading: true },
      10,
      wall,
    );
    expect(renew).toMatchObject({
      spec: {
        leaseTransitions: 4,
        acquireTime: '2024-05-01T09:00:00.000000Z',
        renewTime: '2024-05-01T10:00:00.000000Z',
      },
    });
    const again = nextStep(held('me'), seenAt(held('me'), 0), candidate, 10, wall);
    expect(again).toMatchObject({ acquiring: true, spec: { leaseTransitions: 5 } });
  });

  it("judges another holder's expiry from the record's duration, not its own", () => {
    const long = { ...held('other'), leaseDurationSeconds: 60 };
    expect(nextStep(long, seenAt(long, 0), candidate, 59_999, wall)).toEqual({
      action: 'follow',
      holder: 'other',
      expiresAt: 60_000,
    });
  });
});
