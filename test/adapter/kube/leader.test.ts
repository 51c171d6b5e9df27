import { describe, expect, it } from 'vitest';
import {
  type LeaderTerm,
  leaseClock,
  microTime,
  NotLeadingError,
} from '../../../src/kube/leader.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';
import { useElectors } from '../../support/electors.js';

const cluster = useApiServer();
const { elector, throughProxy, leases, leaseSpec } = useElectors(cluster);

describe('LeaderElector on a real API server', () => {
  it('lets exactly one of two replicas lead, and keeps it leading', async () => {
    const namespace = await cluster().createNamespace();
    const a = elector(namespace, 'a');
    const b = elector(namespace, 'b');
    a.elector.start();
    b.elector.start();
    await waitFor('a leader', async () => a.elector.isLeader || b.elector.isLeader);
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      samples.push(Number(a.elector.isLeader) + Number(b.elector.isLeader));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(samples.every((n) => n === 1)).toBe(true);
    expect([...a.log, ...b.log]).toHaveLength(1);
    const leader = a.elector.isLeader ? a : b;
    expect(await leaseSpec(namespace)).toMatchObject({
      holderIdentity: leader.elector.identity,
      leaseTransitions: 0,
    });
    expect(leader.elector.term).toMatchObject({ identity: leader.elector.identity, number: 0 });
  });

  it('hands over without waiting for expiry when the leader stops and releases the Lease', async () => {
    const namespace = await cluster().createNamespace();
    const a = elector(namespace, 'a');
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    const b = elector(namespace, 'b');
    b.elector.start();
    const term = a.elector.requireLeading();
    await a.elector.stop();
    expect(term.signal.aborted).toBe(true);
    expect(term.endReason).toBe('stopped');
    await waitFor('b to lead', async () => b.elector.isLeader);
    expect([...a.log, ...b.log]).toEqual(['a started', 'a stopped', 'b started']);
    // b found the record released, not expired: it did not wait out a's lease.
    expect(b.started[0]?.term.tookOverFrom).toBeUndefined();
    expect(b.started[0]?.term.number).toBe(term.number + 1);
  });

  it('releases the Lease even when a renewal landed whose answer it never read', async () => {
    const namespace = await cluster().createNamespace();
    // A long retry period, so that no renewal of a's own runs between the two steps below.
    const a = elector(namespace, 'a', {
      leaseDurationMs: 20_000,
      renewDeadlineMs: 15_000,
      retryPeriodMs: 10_000,
    });
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    // What a renewal in flight when SIGTERM came leaves: the Lease moved on, still a's, and a
    // holds the resourceVersion before it (the chaos run saw 11 of 19 releases refused so).
    const lease = await leases().get(namespace, 'fledge-controller');
    await leases().replace({
      ...lease,
      spec: { ...(lease.spec as object), renewTime: microTime(new Date()) },
    });
    await a.elector.stop();
    expect(await leaseSpec(namespace)).toMatchObject({ holderIdentity: '' });
  });

  it('takes over from a killed leader once its lease has expired by its own clock, not before', async () => {
    const namespace = await cluster().createNamespace();
    const now = microTime(new Date());
    // What a SIGKILLed replica leaves behind: a lease it will never renew.
    await leases().create({
      metadata: { namespace, name: 'fledge-controller' },
      spec: {
        holderIdentity: 'killed-pod-abc',
        leaseDurationSeconds: 2,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 6,
      },
    });
    const b = elector(namespace, 'b');
    const startedAt = leaseClock();
    b.elector.start();
    await waitFor('b to lead', async () => b.elector.isLeader, { timeoutMs: 15_000 });
    const term = b.started[0]?.term as LeaderTerm;
    expect(term.tookOverFrom?.identity).toBe('killed-pod-abc');
    // b first saw the record after it started, so the lease cannot have expired sooner.
    expect(term.tookOverFrom?.expiredAt).toBeGreaterThanOrEqual(startedAt + 2_000);
    expect(term.acquiredAt).toBeGreaterThanOrEqual(term.tookOverFrom?.expiredAt ?? Infinity);
    expect(term.number).toBe(7);
  });

  it('stops leading at once when another replica took the Lease over', async () => {
    const namespace = await cluster().createNamespace();
    const a = elector(namespace, 'a');
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    const term = a.elector.requireLeading();
    const lease = await leases().get(namespace, 'fledge-controller');
    await leases().replace({
      ...lease,
      spec: {
        ...(lease.spec as object),
        holderIdentity: 'intruder',
        renewTime: microTime(new Date()),
      },
    });
    await waitFor('a to step down', async () => !a.elector.isLeader);
    expect(a.log).toEqual(['a started', 'a stopped']);
    expect(term.endReason).toMatch(/conflict on renew|held by "intruder"/);
  });

  it('is exact by its own clock: past the deadline it no longer leads, before any timer ran', async () => {
    const namespace = await cluster().createNamespace();
    const a = elector(namespace, 'a', {
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_000,
      retryPeriodMs: 200,
    });
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    const term = a.elector.requireLeading();
    expect(() => a.elector.requireLeading(1_000)).toThrow(NotLeadingError);
    // Hold the event loop past the deadline: no renewal and no timer can run meanwhile.
    const deadline = term.validUntil;
    while (leaseClock() <= deadline) {
      // busy wait, bounded by the 1 s renew deadline
    }
    expect(a.elector.isLeader).toBe(false);
    expect(term.active).toBe(false);
    expect(() => term.require()).toThrow(/the renew deadline passed/);
    expect(a.stopped).toHaveLength(0);
    await waitFor('the timer to end the term', async () => a.stopped.length === 1);
    expect(term.signal.aborted).toBe(true);
  });

  it('a leader whose calls stall stops leading on its own deadline, before another can take over', async () => {
    const namespace = await cluster().createNamespace();
    const { proxy, api } = await throughProxy();
    const a = elector(namespace, 'a', { api });
    let aLeadingWhenBStarted: boolean | undefined;
    let aSignalAbortedWhenBStarted: boolean | undefined;
    const b = elector(namespace, 'b', {
      onStarted: () => {
        aLeadingWhenBStarted = a.elector.isLeader;
        aSignalAbortedWhenBStarted = aTerm.signal.aborted;
      },
    });
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    const aTerm = a.elector.requireLeading();
    b.elector.start();
    await waitFor('b to see a renew', async () => {
      const before = await leaseSpec(namespace);
      await new Promise((r) => setTimeout(r, 500));
      const after = await leaseSpec(namespace);
      return before.renewTime !== after.renewTime;
    });

    proxy.stall();
    await waitFor('b to lead', async () => b.elector.isLeader, { timeoutMs: 20_000 });

    const aStop = a.stopped[0];
    const bStart = b.started[0];
    if (!aStop || !bStart) throw new Error('a did not stop or b did not start');
    const bTerm = bStart.term;
    expect(aStop.term).toBe(aTerm);
    expect(aTerm.endReason).toBe('the renew deadline passed without a successful renewal');
    // The lease arithmetic: a's last renew was sent before b saw it land, and a leads for
    // renewDeadline from that send, b waits leaseDuration from that sight.
    expect(bTerm.tookOverFrom?.identity).toBe('a');
    const expiredAt = bTerm.tookOverFrom?.expiredAt ?? 0;
    expect(aTerm.validUntil).toBeLessThanOrEqual(expiredAt - (3_000 - 2_000));
    expect(bTerm.acquiredAt).toBeGreaterThanOrEqual(expiredAt);
    // No overlap: a was done, its term's signal aborted, before b began.
    expect(aStop.at).toBeLessThan(bStart.at);
    expect(aLeadingWhenBStarted).toBe(false);
    expect(aSignalAbortedWhenBStarted).toBe(true);
    console.log(
      `figure: the stalled leader stopped ${Math.round(expiredAt - aStop.at)} ms before its lease expired in the follower's eyes (margin leaseDuration - renewDeadline = 1000 ms)`,
    );

    // a's held calls reach the server once the network heals; none of them puts a back.
    proxy.resume();
    await waitFor('a to follow b', async () => (await leaseSpec(namespace)).holderIdentity === 'b');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(a.elector.isLeader).toBe(false);
    expect(b.elector.isLeader).toBe(true);
    expect(await leaseSpec(namespace)).toMatchObject({
      holderIdentity: 'b',
      leaseTransitions: bTerm.number,
    });
    expect(bTerm.number).toBe(aTerm.number + 1);
  });

  it('leads, and keeps leading, through an API server that answers slower than the retry period', async () => {
    const namespace = await cluster().createNamespace();
    const { proxy, api } = await throughProxy();
    // 250 ms each way: every Lease call takes over 500 ms, more than the 400 ms retry period.
    proxy.delay(250);
    const a = elector(namespace, 'a', { api });
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader, { timeoutMs: 20_000 });
    const renewed = (await leaseSpec(namespace)).renewTime;
    await new Promise((r) => setTimeout(r, 3_000));
    expect(a.elector.isLeader).toBe(true);
    expect(a.log).toEqual(['a started']);
    expect((await leaseSpec(namespace)).renewTime).not.toBe(renewed);
  });

  it('stop() during a stall ends the term at once and waits for no hanging call', async () => {
    const namespace = await cluster().createNamespace();
    const { proxy, api } = await throughProxy();
    const a = elector(namespace, 'a', { api });
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    const term = a.elector.requireLeading();
    proxy.stall();
    const stopping = a.elector.stop();
    // The term ends with the call to stop(), not once a pending renewal gives up.
    expect(term.signal.aborted).toBe(true);
    expect(a.log).toEqual(['a started', 'a stopped']);
    // The release cannot get through; it gives up after one retry period.
    await stopping;
    expect(await leaseSpec(namespace)).toMatchObject({ holderIdentity: 'a' });
  });
});
