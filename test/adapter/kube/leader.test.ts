import { afterEach, describe, expect, it } from 'vitest';
import { LeaderElector, microTime } from '../../../src/kube/leader.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';

const cluster = useApiServer();
const leaseMs = 2_000;
const retryMs = 400;
const running: LeaderElector[] = [];

function elector(namespace: string, identity: string, log: string[]) {
  const e = new LeaderElector(cluster().api, {
    namespace,
    name: 'fledge-controller',
    identity,
    leaseDurationMs: leaseMs,
    renewDeadlineMs: 1_500,
    retryPeriodMs: retryMs,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  });
  running.push(e);
  return e;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

describe('LeaderElector on a real API server', () => {
  it('lets exactly one of two replicas lead, and keeps it leading', async () => {
    const namespace = await cluster().createNamespace();
    const log: string[] = [];
    const a = elector(namespace, 'a', log);
    const b = elector(namespace, 'b', log);
    a.start();
    b.start();
    await waitFor('a leader', async () => a.isLeader || b.isLeader);
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      samples.push(Number(a.isLeader) + Number(b.isLeader));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(samples.every((n) => n === 1)).toBe(true);
    expect(log).toHaveLength(1);
    const lease = await new ResourceClient(cluster().api, knownTypes.leases).get(
      namespace,
      'fledge-controller',
    );
    expect((lease.spec as { holderIdentity: string }).holderIdentity).toBe(a.isLeader ? 'a' : 'b');
  });

  it('hands over at once when the leader stops and releases the Lease', async () => {
    const namespace = await cluster().createNamespace();
    const log: string[] = [];
    const a = elector(namespace, 'a', log);
    a.start();
    await waitFor('a to lead', async () => a.isLeader);
    const b = elector(namespace, 'b', log);
    b.start();
    await new Promise((r) => setTimeout(r, retryMs * 2));
    expect(b.isLeader).toBe(false);
    const stoppedAt = Date.now();
    await a.stop();
    await waitFor('b to lead', async () => b.isLeader);
    expect(Date.now() - stoppedAt).toBeLessThan(retryMs * 1.2 + 500);
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
  });

  it('takes over from a killed leader once its lease has expired, not before', async () => {
    const namespace = await cluster().createNamespace();
    const now = microTime(new Date());
    // What a SIGKILLed replica leaves behind: a lease it will never renew.
    await new ResourceClient(cluster().api, knownTypes.leases).create({
      metadata: { namespace, name: 'fledge-controller' },
      spec: {
        holderIdentity: 'killed-pod-abc',
        leaseDurationSeconds: 2,
        acquireTime: now,
        renewTime: now,
      },
    });
    const log: string[] = [];
    const b = elector(namespace, 'b', log);
    const startedAt = Date.now();
    b.start();
    await waitFor('b to lead', async () => b.isLeader, { timeoutMs: 10_000, intervalMs: 20 });
    const handover = Date.now() - startedAt;
    expect(handover).toBeGreaterThanOrEqual(leaseMs);
    expect(handover).toBeLessThan(leaseMs + 2 * retryMs * 1.2 + 300);
  });

  it('stops leading when another replica took the Lease over', async () => {
    const namespace = await cluster().createNamespace();
    const log: string[] = [];
    const a = elector(namespace, 'a', log);
    a.start();
    await waitFor('a to lead', async () => a.isLeader);
    const leases = new ResourceClient(cluster().api, knownTypes.leases);
    const lease = await leases.get(namespace, 'fledge-controller');
    await leases.replace({
      ...lease,
      spec: {
        ...(lease.spec as object),
        holderIdentity: 'intruder',
        renewTime: microTime(new Date()),
      },
    });
    await waitFor('a to step down', async () => !a.isLeader, { timeoutMs: 3_000 });
    expect(log).toEqual(['a started', 'a stopped']);
  });
});
