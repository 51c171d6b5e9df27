import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutObject } from '../../../src/cli/rollout-object.js';
import { ClusterGatekeeper } from '../../../src/dashboard/cluster-gatekeeper.js';
import { startClusterDashboard } from '../../../src/dashboard/in-cluster.js';
import type { Dashboard } from '../../../src/dashboard/server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer } from '../../support/apiserver.js';
import { createRolloutWithStatus, rolloutObject } from '../../support/dashboard-fixtures.js';
import { serviceAccountUser } from '../../support/dashboard-rbac.js';
import { openEvents } from '../../support/dashboard-sse.js';

const cluster = useApiServer(['rollout']);
let dashboard: Dashboard;
let namespace: string;
const tokens: Record<'viewer' | 'operator' | 'nobody', string> = {
  viewer: '',
  operator: '',
  nobody: '',
};
const url = (path: string) => new URL(path, dashboard.url).toString();

beforeAll(async () => {
  const { api, kc } = cluster();
  namespace = await cluster().createNamespace('rbac');
  await createRolloutWithStatus(api, rolloutObject(namespace, 'api'), {
    phase: 'WaitingPromotion',
    canaryWeight: 50,
    currentRevision: 'abc',
  });
  tokens.viewer = await serviceAccountUser(api, namespace, 'viewer', ['get', 'list', 'watch']);
  tokens.operator = await serviceAccountUser(api, namespace, 'operator', [
    'get',
    'list',
    'watch',
    'patch',
  ]);
  tokens.nobody = await serviceAccountUser(api, namespace, 'nobody', []);
  dashboard = await startClusterDashboard({ kc, host: '127.0.0.1', port: 0, namespaces: [] });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
});

async function promote(token: string) {
  const response = await fetch(url(`/api/rollouts/${namespace}/api/actions/promote`), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as { message: string } };
}

const annotations = async () =>
  (
    await new ResourceClient<RolloutObject>(cluster().api, knownTypes.rollouts).get(
      namespace,
      'api',
    )
  ).metadata?.annotations ?? {};

describe('the in-cluster dashboard', () => {
  it('asks for a token on the page and refuses a token the API server does not know', async () => {
    expect(await (await fetch(url('/'))).text()).toContain('content="cluster"');
    const events = await openEvents(url(`/api/rollouts?namespace=${namespace}`), 'not-a-token');
    expect(events.status).toBe(401);
  });

  it('answers 403 to a user without RBAC rights, for the data and for the action', async () => {
    const list = await openEvents(url(`/api/rollouts?namespace=${namespace}`), tokens.nobody);
    expect(list.status).toBe(403);
    const timeline = await openEvents(
      url(`/api/rollouts/${namespace}/api/timeline`),
      tokens.nobody,
    );
    expect(timeline.status).toBe(403);
    const action = await promote(tokens.nobody);
    expect(action.status).toBe(403);
    expect(action.body.message).toMatch(
      new RegExp(
        `system:serviceaccount:${namespace}:nobody may not patch rollout ${namespace}/api`,
      ),
    );
    expect(await annotations()).toEqual({});
  });

  it('lets a viewer see its namespace but not every namespace, nor act', async () => {
    const list = await openEvents(url(`/api/rollouts?namespace=${namespace}`), tokens.viewer);
    try {
      expect(list.status).toBe(200);
      const snapshot = await list.next((e) => e.type === 'snapshot');
      expect((snapshot.data.rows as Array<{ name: string }>).map((r) => r.name)).toEqual(['api']);
    } finally {
      list.close();
    }
    const everywhere = await openEvents(url('/api/rollouts'), tokens.viewer);
    expect(everywhere.status).toBe(403);
    expect((await promote(tokens.viewer)).status).toBe(403);
  });

  it('lets a user with patch take the action, through the annotation', async () => {
    const done = await promote(tokens.operator);
    expect(done.status).toBe(200);
    expect(await annotations()).toEqual({ 'fledge.dev/promote': 'true' });
  });
});

describe('ClusterGatekeeper', () => {
  it('reuses a review within its cache time instead of asking the API server again', async () => {
    let reviews = 0;
    const { api } = cluster();
    const counting = Object.create(api) as typeof api;
    counting.request = (async (...args: Parameters<typeof api.request>) => {
      reviews += 1;
      return api.request(...args);
    }) as typeof api.request;
    const gatekeeper = new ClusterGatekeeper(counting, { cacheMs: 60_000 });
    const first = await gatekeeper.authenticate(tokens.viewer);
    const second = await gatekeeper.authenticate(tokens.viewer);
    expect(first).toEqual(second);
    expect(reviews).toBe(1);
    if (!first.ok) throw new Error(first.message);
    const access = { verb: 'list' as const, namespace };
    expect(await gatekeeper.authorize(first.user, access)).toBeNull();
    expect(await gatekeeper.authorize(first.user, access)).toBeNull();
    expect(reviews).toBe(2);
  });
});
