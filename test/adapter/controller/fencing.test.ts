import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FencedApiServer, TermFence } from '../../../src/controller/fence.js';
import {
  type StatusRefusal,
  StatusWriter,
  type StoredRollout,
} from '../../../src/controller/status-writer.js';
import type { ApiServer } from '../../../src/kube/api-server.js';
import { NotLeadingError } from '../../../src/kube/leader.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';
import { type RecordedElector, useElectors } from '../../support/electors.js';

const cluster = useApiServer(['rollout']);
const { elector, throughProxy, leaseSpec } = useElectors(cluster);

/**
 * One replica's status writer as the controller wires it: the elector's term opens its
 * fence, and its writes go through `api` (fenced, unless the test stands for a request that
 * had already reached the server).
 */
function writerOf(
  identity: string,
  recorded: RecordedElector,
  api: ApiServer,
  rollout: StoredRollout,
  { fenced = true } = {},
) {
  const fence = new TermFence(identity, 400);
  const term = recorded.started.at(-1)?.term;
  if (!term) throw new Error(`${identity} does not lead yet`);
  fence.begin(term);
  const client = new ResourceClient<StoredRollout>(
    fenced ? new FencedApiServer(api.kc, `fledge-controller/${identity}`, fence) : api,
    knownTypes.rollouts,
  );
  const refusals: StatusRefusal[] = [];
  const writer = new StatusWriter(rollout, {
    client,
    fence,
    log: pino({ level: 'silent' }),
    refused: (refusal) => refusals.push(refusal),
    minDelayMs: 50,
    maxDelayMs: 200,
  });
  return { fence, writer, refusals, term };
}

/**
 * Leader `a` reaches the API server through a proxy that stalls once `a` has read the
 * Rollout; follower `b` reaches it directly and takes over once a's lease has expired.
 */
async function deposedLeader() {
  const namespace = await cluster().createNamespace();
  const { proxy, api } = await throughProxy();
  const rollouts = new ResourceClient<StoredRollout>(cluster().api, knownTypes.rollouts);
  await rollouts.create({
    metadata: { namespace, name: 'api' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      service: { port: 8080 },
      analysis: { interval: '1m', stepWeight: 10, maxWeight: 50 },
    },
  } as unknown as StoredRollout);
  const a = elector(namespace, 'a', { api });
  const b = elector(namespace, 'b');
  a.elector.start();
  await waitFor('a to lead', async () => a.elector.isLeader);
  b.elector.start();
  const seen = (await leaseSpec(namespace)).renewTime;
  await waitFor(
    'b to follow a renewing',
    async () => (await leaseSpec(namespace)).renewTime !== seen,
  );
  const read = await new ResourceClient<StoredRollout>(api, knownTypes.rollouts).get(
    namespace,
    'api',
  );
  return { namespace, proxy, api, a, b, rollouts, read };
}

async function successorWrites(
  b: RecordedElector,
  rollouts: ResourceClient<StoredRollout>,
  namespace: string,
) {
  await waitFor('b to lead', async () => b.elector.isLeader, { timeoutMs: 20_000 });
  const successor = writerOf('b', b, cluster().api, await rollouts.get(namespace, 'api'));
  await successor.writer.write(() => ({ phase: 'Failed', canaryWeight: 0 }));
  return successor;
}

describe('a deposed leader cannot write a Rollout', () => {
  it('cuts off its status write when the term ends, never retries it, and the server refuses it when it lands late', async () => {
    const { namespace, proxy, api, a, b, rollouts, read } = await deposedLeader();
    const deposed = writerOf('a', a, api, read);
    proxy.stall();
    const wanted = deposed.writer.write(() => ({ phase: 'Progressing', canaryWeight: 30 }));
    await waitFor('a to lose its term', async () => !a.elector.isLeader);
    await wanted;
    expect(deposed.fence.leading).toBe(false);
    expect(() => deposed.fence.stamp()).toThrow(NotLeadingError);

    const successor = await successorWrites(b, rollouts, namespace);
    await waitFor('a to have given up its connection', async () => proxy.halfOpen > 0);
    proxy.resume();
    await waitFor('the server to deal with it', async () => proxy.halfOpen === 0);
    const final = await rollouts.get(namespace, 'api');
    expect(final.status).toEqual({
      phase: 'Failed',
      canaryWeight: 0,
      controller: { identity: 'b', term: successor.term.number },
    });
    expect(successor.term.number).toBeGreaterThan(deposed.term.number);
  });

  it('does not re-apply a status write that reached the server after the hand-over (409)', async () => {
    const { namespace, proxy, api, a, b, rollouts, read } = await deposedLeader();
    // Not fenced: it stands for a request the server had already received when a's term
    // ended, which no client-side abort recalls. Its resourceVersion precondition, and the
    // successor's newer term in the status, are what refuse it.
    const deposed = writerOf('a', a, api, read, { fenced: false });
    proxy.stall();
    const wanted = deposed.writer.write(() => ({ phase: 'Progressing', canaryWeight: 30 }));
    const successor = await successorWrites(b, rollouts, namespace);
    proxy.resume();
    await wanted;
    expect(deposed.refusals).toEqual([
      { kind: 'superseded', by: { identity: 'b', term: successor.term.number } },
    ]);
    const final = await rollouts.get(namespace, 'api');
    expect(final.status?.phase).toBe('Failed');
    expect(final.status?.controller?.identity).toBe('b');
  });

  it('refuses to start a write with less of the term left than the margin', async () => {
    const namespace = await cluster().createNamespace();
    const a = elector(namespace, 'a');
    a.elector.start();
    await waitFor('a to lead', async () => a.elector.isLeader);
    const term = a.started.at(-1)?.term;
    const fence = new TermFence('a', a.elector.timings.renewDeadlineMs);
    fence.begin(term);
    expect(() => fence.stamp()).toThrow(NotLeadingError);
    const client = new ResourceClient(
      new FencedApiServer(cluster().kc, 'a', fence),
      knownTypes.configMaps,
    );
    await expect(client.create({ metadata: { namespace, name: 'never' } })).rejects.toThrow(
      NotLeadingError,
    );
    expect(
      await new ResourceClient(cluster().api, knownTypes.configMaps).find(namespace, 'never'),
    ).toBeNull();
  });
});
