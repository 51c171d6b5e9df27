import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutObject } from '../../../src/cli/rollout-object.js';
import { LocalGatekeeper } from '../../../src/dashboard/auth.js';
import { type Dashboard, startDashboard } from '../../../src/dashboard/server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';
import {
  createRolloutWithStatus,
  recordEvent,
  releaseHistory,
  rolloutObject,
} from '../../support/dashboard-fixtures.js';
import { openEvents } from '../../support/dashboard-sse.js';

const cluster = useApiServer(['rollout']);
const gatekeeper = new LocalGatekeeper('local-token');
let dashboard: Dashboard;
let namespace: string;
const rollouts = () => new ResourceClient<RolloutObject>(cluster().api, knownTypes.rollouts);
const api = (path: string) => new URL(path, dashboard.url).toString();

beforeAll(async () => {
  namespace = await cluster().createNamespace('dash');
  dashboard = await startDashboard({
    api: cluster().api,
    gatekeeper,
    host: '127.0.0.1',
    port: 0,
    namespaces: [namespace],
    limits: { streams: 3 },
  });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
});

async function post(path: string, token = gatekeeper.token) {
  const response = await fetch(api(path), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as { message: string } };
}

describe('the page', () => {
  it('is served without a token, names its auth mode, and brings its chart library', async () => {
    const page = await fetch(api('/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toContain('<meta name="fledge-auth" content="local">');
    const uplot = await fetch(api('/uPlot.min.js'), { headers: { 'accept-encoding': 'gzip' } });
    expect(uplot.status).toBe(200);
    expect(uplot.headers.get('content-type')).toMatch(/javascript/);
    expect(uplot.headers.get('content-encoding')).toBe('gzip');
    const again = await fetch(api('/uPlot.min.js'), {
      headers: { 'if-none-match': uplot.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
    expect((await fetch(api('/secrets.txt'))).status).toBe(404);
  });
});

describe('the API', () => {
  it('answers 401 without the token or with another one', async () => {
    const none = await fetch(api('/api/rollouts'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(`/api/rollouts/${namespace}/x/actions/promote`, 'wrong')).status).toBe(401);
  });

  it('streams the list: a snapshot, then each new, changed and deleted rollout', async () => {
    await createRolloutWithStatus(cluster().api, rolloutObject(namespace, 'first'), {
      phase: 'Progressing',
      canaryWeight: 10,
    });
    const events = await openEvents(api('/api/rollouts'), gatekeeper.token);
    try {
      const snapshot = await events.next((e) => e.type === 'snapshot');
      const rows = snapshot.data.rows as Array<{ name: string; canaryWeight: number }>;
      // The Rollout is created, then its status written: the dashboard's watch may not have
      // seen both when the stream opened, and then what it lacked arrives as an upsert.
      if (rows.find((r) => r.name === 'first')?.canaryWeight !== 10) {
        await events.next(
          (e) =>
            e.type === 'upsert' &&
            (e.data.row as { name: string; canaryWeight: number }).name === 'first' &&
            (e.data.row as { canaryWeight: number }).canaryWeight === 10,
        );
      }
      expect(snapshot.data.phases).toContain('WaitingPromotion');

      await createRolloutWithStatus(cluster().api, rolloutObject(namespace, 'second'), {
        phase: 'Progressing',
      });
      await events.next(
        (e) => e.type === 'upsert' && (e.data.row as { name: string }).name === 'second',
      );
      await rollouts().mergePatch(namespace, 'first', { status: { canaryWeight: 20 } }, 'status');
      await events.next(
        (e) =>
          e.type === 'upsert' &&
          (e.data.row as { name: string; canaryWeight: number }).canaryWeight === 20,
      );
      await rollouts().delete(namespace, 'second');
      const deleted = await events.next((e) => e.type === 'delete');
      expect(deleted.data.key).toBe(`${namespace}/second`);
    } finally {
      events.close();
    }
  });

  it("streams a rollout's timeline from its history, and again when an Event comes", async () => {
    const start = Date.now() - 5 * 60_000;
    const { history, status } = releaseHistory({
      start,
      intervalMs: 30_000,
      revision: 'bad1',
      successRates: [100, 70, 71, 69],
      latencies: [],
      threshold: 3,
      stepWeight: 10,
      maxWeight: 50,
    });
    const rollout = await createRolloutWithStatus(
      cluster().api,
      rolloutObject(namespace, 'rolled-back'),
      { ...status, history },
    );
    const events = await openEvents(
      api(`/api/rollouts/${namespace}/rolled-back/timeline`),
      gatekeeper.token,
    );
    try {
      type Metrics = Array<{ metric: string; points: Array<{ passed: boolean }> }>;
      // The watch may show the Rollout before its status: the timeline follows when it comes.
      const first = await events.next(
        (e) => e.type === 'timeline' && ((e.data.metrics as Metrics)[0]?.points.length ?? 0) > 0,
      );
      const metrics = first.data.metrics as Metrics;
      expect(metrics[0]?.points.map((p) => p.passed)).toEqual([true, false, false, false]);
      const markers = () => first.data.markers as Array<{ kind: string }>;
      expect(markers().at(-1)?.kind).toBe('rollback');

      await recordEvent(cluster().api, rollout, {
        type: 'Warning',
        reason: 'RoutingDrift',
        message: 'routing object changed by someone else',
        at: start + 45_000,
      });
      const withEvent = await events.next(
        (e) =>
          e.type === 'timeline' &&
          (e.data.markers as Array<{ reason: string }>).some((m) => m.reason === 'RoutingDrift'),
      );
      expect(withEvent.data.eventsOmitted).toBe(0);
    } finally {
      events.close();
    }
  });

  it('answers 404 for the timeline of a rollout it does not watch', async () => {
    const events = await openEvents(
      api(`/api/rollouts/${namespace}/nothing/timeline`),
      gatekeeper.token,
    );
    expect(events.status).toBe(404);
  });

  it('sets the annotation of an allowed action and refuses the others with the reason', async () => {
    await createRolloutWithStatus(cluster().api, rolloutObject(namespace, 'waiting'), {
      phase: 'WaitingPromotion',
      canaryWeight: 50,
      currentRevision: 'abc',
    });
    const refused = await post(`/api/rollouts/${namespace}/waiting/actions/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/retry only applies to a Failed rollout/);

    const promoted = await post(`/api/rollouts/${namespace}/waiting/actions/promote`);
    expect(promoted.status).toBe(200);
    expect(promoted.body.message).toMatch(/fledge promotes revision abc now/);
    const annotations = (await rollouts().get(namespace, 'waiting')).metadata?.annotations ?? {};
    expect(annotations).toEqual({ 'fledge.dev/promote': 'true' });

    const missing = await post(`/api/rollouts/${namespace}/nothing/actions/promote`);
    expect(missing.status).toBe(404);
  });

  it('refuses a stream past its bound with 503 rather than queueing it', async () => {
    const open = await Promise.all(
      [1, 2, 3].map(() => openEvents(api('/api/rollouts'), gatekeeper.token)),
    );
    try {
      expect(open.map((e) => e.status)).toEqual([200, 200, 200]);
      const fourth = await openEvents(api('/api/rollouts'), gatekeeper.token);
      expect(fourth.status).toBe(503);
    } finally {
      for (const events of open) events.close();
    }
    await waitFor('a closed stream to free its place', async () => {
      const again = await openEvents(api('/api/rollouts'), gatekeeper.token);
      again.close();
      return again.status === 200;
    });
  });
});
