import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeObject, KubeRequestAborted } from '../../../src/kube/api-server.js';
import { fencedWrite } from '../../../src/kube/fenced.js';
import { type LeaderTerm, NotLeadingError } from '../../../src/kube/leader.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';
import { type RecordedElector, useElectors } from '../../support/electors.js';

const cluster = useApiServer();
const { elector, throughProxy, leaseSpec } = useElectors(cluster);

/**
 * A leader `a` that reaches the API server through a proxy, which is stalled once `a` has
 * read the object `state`; a follower `b` that reaches it directly and takes over once a's
 * lease has expired.
 */
async function deposedLeader() {
  const namespace = await cluster().createNamespace();
  const { proxy, api } = await throughProxy();
  const direct = new ResourceClient(cluster().api, knownTypes.configMaps);
  await direct.create({ metadata: { namespace, name: 'state' }, data: { writer: 'nobody' } });
  const a = elector(namespace, 'a', { api });
  const b = elector(namespace, 'b');
  a.elector.start();
  await waitFor('a to lead', async () => a.elector.isLeader);
  const aTerm = a.elector.requireLeading();
  b.elector.start();
  const seen = (await leaseSpec(namespace)).renewTime;
  await waitFor(
    'b to follow a renewing',
    async () => (await leaseSpec(namespace)).renewTime !== seen,
  );
  const viaA = new ResourceClient(api, knownTypes.configMaps);
  const read = await viaA.get(namespace, 'state');
  proxy.stall();
  return { namespace, proxy, a, b, aTerm, viaA, direct, read };
}

/** b's write as the controller should make it: under its term, read fresh, conditional. */
async function writeAsLeader(b: RecordedElector, direct: ResourceClient, namespace: string) {
  await waitFor('b to lead', async () => b.elector.isLeader, { timeoutMs: 20_000 });
  const bTerm = b.elector.requireLeading();
  return fencedWrite(bTerm, async ({ signal }) => {
    const current = await direct.get(namespace, 'state', { signal });
    return direct.replace({ ...current, data: { writer: 'b' } }, undefined, { signal });
  });
}

const writer = (object: KubeObject) => (object.data as { writer: string }).writer;

describe('a deposed leader cannot write', () => {
  it('cuts off a write in flight when the term ends, never re-applies it, and the server refuses it when it lands late', async () => {
    const { namespace, proxy, b, aTerm, viaA, direct, read } = await deposedLeader();
    const attempts: number[] = [];
    const aWrite = fencedWrite(aTerm, async ({ signal, attempt }) => {
      attempts.push(attempt);
      const base = attempt === 1 ? read : await viaA.get(namespace, 'state', { signal });
      return viaA.replace({ ...base, data: { writer: 'a' } }, undefined, { signal });
    }).catch((error: unknown) => error);

    // Settled while the proxy still holds the request: the end of a's term cut it off.
    const refused = await aWrite;
    expect(refused).toBeInstanceOf(NotLeadingError);
    expect((refused as Error).cause).toBeInstanceOf(KubeRequestAborted);
    expect(attempts).toEqual([1]);
    expect(aTerm.active).toBe(false);

    const written = await writeAsLeader(b, direct, namespace);
    // The request a gave up on is still on the wire: the network heals and delivers it.
    await waitFor('a to have given up its connection', async () => proxy.halfOpen > 0);
    proxy.resume();
    await waitFor('the server to deal with it', async () => proxy.halfOpen === 0);
    const final = await direct.get(namespace, 'state');
    expect(writer(final)).toBe('b');
    expect(final.metadata?.resourceVersion).toBe(written.metadata?.resourceVersion);
  });

  it('gets 409 for a conditional write that reached the server after the hand-over, and does not re-apply it', async () => {
    const { namespace, proxy, b, aTerm, viaA, direct, read } = await deposedLeader();
    const attempts: number[] = [];
    let answer: unknown;
    // This write ignores the term's signal on purpose: it stands for a request the API
    // server had already received when a's term ended, which no client-side abort recalls.
    const aWrite = fencedWrite(aTerm, async ({ attempt }) => {
      attempts.push(attempt);
      const base = attempt === 1 ? read : await viaA.get(namespace, 'state');
      try {
        return await viaA.replace({ ...base, data: { writer: 'a' } }, undefined, {
          timeoutMs: 60_000,
        });
      } catch (error) {
        answer = error;
        throw error;
      }
    }).catch((error: unknown) => error);

    const written = await writeAsLeader(b, direct, namespace);
    expect(aTerm.active).toBe(false);
    proxy.resume();
    const refused = await aWrite;
    expect(answer).toBeInstanceOf(KubeApiError);
    expect((answer as KubeApiError).statusCode).toBe(409);
    expect(refused).toBeInstanceOf(NotLeadingError);
    expect((refused as Error).cause).toBe(answer);
    expect(attempts).toEqual([1]);
    const final = await direct.get(namespace, 'state');
    expect(writer(final)).toBe('b');
    expect(final.metadata?.resourceVersion).toBe(written.metadata?.resourceVersion);
  });

  it('refuses to start a write with less of the term left than the margin', async () => {
    const namespace = await cluster().createNamespace();
    const a = elector(namespace, 'a');
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    const term: LeaderTerm = a.elector.requireLeading();
    let writes = 0;
    const refused = await fencedWrite(
      term,
      async () => {
        writes += 1;
      },
      { marginMs: a.elector.timings.renewDeadlineMs },
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NotLeadingError);
    expect(writes).toBe(0);
  });
});
