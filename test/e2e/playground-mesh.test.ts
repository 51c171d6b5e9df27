import http from 'node:http';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { viaProxy } from '../support/via-proxy.js';
import { type WaitOptions, waitFor } from '../support/wait.js';
import { clients } from './support/cluster.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import { promQuery } from './support/prometheus.js';

/**
 * The kubelet and Linkerd data-plane simulators on the shared playground: traffic through
 * FLEDGE_MESH_PROXY follows pod environments and TrafficSplit weights, and Prometheus
 * answers Flagger's Linkerd queries from the simulated proxies' metrics.
 */

const meshProxy = inject('FLEDGE_MESH_PROXY');
const namespace = `mesh-e2e-${Date.now().toString(36)}`;
const { core, apps, custom } = clients();
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const kubectlHere = (...args: string[]) => kubectl([...args, '-n', namespace]);
const poll: WaitOptions = { intervalMs: 500 };

interface Answer {
  status: number;
  pod: string;
}

async function get(url: string): Promise<Answer> {
  const { status, body } = await viaProxy(meshProxy, url, { agent, timeoutMs: 10_000 });
  let pod = '';
  try {
    pod = (JSON.parse(body) as { pod: string }).pod;
  } catch {}
  return { status, pod };
}

/** Sends `count` requests, `concurrency` at a time. */
async function load(url: string, count: number, concurrency = 8): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        answers.push(await get(url));
      }
    }),
  );
  return answers;
}

function deployment(name: string, image: string, env: Record<string, string>, replicas = 1) {
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image,
              ports: [{ name: 'http', containerPort: 8080 }],
              env: Object.entries(env).map(([envName, value]) => ({ name: envName, value })),
            },
          ],
        },
      },
    },
  };
}

function service(name: string, app: string) {
  return {
    metadata: { name, namespace },
    spec: {
      selector: { app },
      ports: [{ name: 'http', port: 8080, targetPort: 'http' }],
    },
  };
}

/** Waits until the Service's endpoints are exactly the ready pods of the current template. */
async function waitServing(name: string, app: string, replicas: number) {
  await kubectlHere('rollout', 'status', `deployment/${app}`, '--timeout=60s');
  await waitFor(
    `Service ${namespace}/${name} to reach only the new pods of ${app}`,
    async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
      const answers = await load(`http://${name}.${namespace}:8080/`, replicas * 4, 1);
      const live = new Set(
        pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name),
      );
      return live.size === replicas && answers.every((a) => live.has(a.pod)) ? true : undefined;
    },
    poll,
  );
}

/** Not yet while Prometheus has no series, or only NaN (a rate over no traffic). */
async function finite(query: string): Promise<number | undefined> {
  const value = await promQuery(query);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

const successRate = (labels: string) =>
  `sum(rate(response_total{${labels},classification!="failure"}[10s])) / sum(rate(response_total{${labels}}[10s])) * 100`;
const p99 = (labels: string) =>
  `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{${labels}}[10s])) by (le))`;

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  agent.destroy();
  await core.deleteNamespace({ name: namespace }).catch(() => {});
});

describe('kubelet simulator and mesh on the playground', () => {
  it('serves a Deployment through its Service; kubectl set env ERROR_RATE=0.5 fails about half', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment('podinfo', 'ghcr.io/acme/podinfo:6.0.0', { ERROR_RATE: '0' }, 2),
    });
    await core.createNamespacedService({ namespace, body: service('podinfo', 'podinfo') });
    await waitServing('podinfo', 'podinfo', 2);
    const healthy = await load(`http://podinfo.${namespace}.svc.cluster.local:8080/`, 200);
    expect(healthy.filter((a) => a.status === 200)).toHaveLength(200);
    expect(new Set(healthy.map((a) => a.pod)).size).toBe(2);

    await kubectlHere('set', 'env', 'deployment/podinfo', 'ERROR_RATE=0.5');
    await waitServing('podinfo', 'podinfo', 2);
    const faulty = await load(`http://podinfo.${namespace}:8080/`, 400);
    const failed = faulty.filter((a) => a.status === 500).length / faulty.length;
    expect(failed).toBeGreaterThanOrEqual(0.45);
    expect(failed).toBeLessThanOrEqual(0.55);
  });

  describe('with a primary, a canary and a TrafficSplit', () => {
    beforeAll(async () => {
      await apps.createNamespacedDeployment({
        namespace,
        body: deployment('api-primary', 'ghcr.io/acme/api:1.0.0', {
          ERROR_RATE: '0',
          LATENCY_MS: '0',
        }),
      });
      await apps.createNamespacedDeployment({
        namespace,
        body: deployment('api-canary', 'ghcr.io/acme/api:2.0.0', {
          ERROR_RATE: '0.2',
          LATENCY_MS: '60',
        }),
      });
      for (const [name, app] of [
        ['api', 'api-primary'],
        ['api-primary', 'api-primary'],
        ['api-canary', 'api-canary'],
      ] as const) {
        await core.createNamespacedService({ namespace, body: service(name, app) });
      }
      await waitServing('api-primary', 'api-primary', 1);
      await waitServing('api-canary', 'api-canary', 1);
      await custom.createNamespacedCustomObject({
        group: 'split.smi-spec.io',
        version: 'v1alpha2',
        namespace,
        plural: 'trafficsplits',
        body: {
          apiVersion: 'split.smi-spec.io/v1alpha2',
          kind: 'TrafficSplit',
          metadata: { name: 'api', namespace },
          spec: {
            service: 'api',
            backends: [
              { service: 'api-primary', weight: 100 },
              { service: 'api-canary', weight: 0 },
            ],
          },
        },
      });
    });

    it('moves 30% (±5 points) of 2,000 requests when the weights go from 100/0 to 70/30', async () => {
      const before = await load(`http://api.${namespace}:8080/`, 200);
      expect(before.filter((a) => a.pod.startsWith('api-canary'))).toHaveLength(0);

      await custom.patchNamespacedCustomObject(
        {
          group: 'split.smi-spec.io',
          version: 'v1alpha1',
          namespace,
          plural: 'trafficsplits',
          name: 'api',
          body: {
            spec: {
              backends: [
                { service: 'api-primary', weight: '700m' },
                { service: 'api-canary', weight: '300m' },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitFor(
        'the mesh to route to the canary',
        async () =>
          (await get(`http://api.${namespace}:8080/`)).pod.startsWith('api-canary')
            ? true
            : undefined,
        poll,
      );
      const after = await load(`http://api.${namespace}:8080/`, 2000);
      const share = after.filter((a) => a.pod.startsWith('api-canary')).length / after.length;
      expect(share).toBeGreaterThanOrEqual(0.25);
      expect(share).toBeLessThanOrEqual(0.35);
    });

    it("answers Flagger's Linkerd success-rate and p99 queries per backend from Prometheus", async () => {
      await kubectlHere(
        'patch',
        'trafficsplit',
        'api',
        '--type',
        'merge',
        '-p',
        '{"spec":{"backends":[{"service":"api-primary","weight":50},{"service":"api-canary","weight":50}]}}',
      );
      const until = Date.now() + 6000;
      while (Date.now() < until) await load(`http://api.${namespace}:8080/`, 100, 4);

      const scraped: WaitOptions = { ...poll, timeoutMs: 20_000 };
      const inbound = (target: string) =>
        `namespace="${namespace}",deployment=~"${target}",direction="inbound"`;
      const canaryRate = await waitFor(
        'canary success rate',
        () => finite(successRate(inbound('api-canary'))),
        scraped,
      );
      const primaryRate = await waitFor(
        'primary success rate',
        () => finite(successRate(inbound('api-primary'))),
        scraped,
      );
      const canaryP99 = await waitFor(
        'canary p99',
        () => finite(p99(inbound('api-canary'))),
        scraped,
      );
      const primaryP99 = await waitFor(
        'primary p99',
        () => finite(p99(inbound('api-primary'))),
        scraped,
      );
      const outbound = `dst_service="api-canary",dst_namespace="${namespace}",direction="outbound"`;
      const outboundRate = await waitFor(
        'outbound canary success rate',
        () => finite(successRate(outbound)),
        scraped,
      );

      expect(canaryRate).toBeGreaterThanOrEqual(75);
      expect(canaryRate).toBeLessThanOrEqual(85);
      expect(primaryRate).toBe(100);
      expect(outboundRate).toBeGreaterThanOrEqual(75);
      expect(outboundRate).toBeLessThanOrEqual(85);
      // 60 ms plus the proxy's overhead falls in Linkerd's (50, 100] bucket.
      expect(canaryP99).toBeGreaterThan(60);
      expect(canaryP99).toBeLessThanOrEqual(100);
      // No added latency: well under the canary's, though a busy machine adds a few ms.
      expect(primaryP99).toBeLessThan(50);
    });

    it("takes a Linkerd policy HTTPRoute's weights over the TrafficSplit's (kubectl apply)", async () => {
      const manifest = {
        apiVersion: 'policy.linkerd.io/v1beta3',
        kind: 'HTTPRoute',
        metadata: { name: 'api', namespace },
        spec: {
          parentRefs: [{ group: 'core', kind: 'Service', name: 'api', port: 8080 }],
          rules: [
            {
              backendRefs: [
                { name: 'api-primary', port: 8080, weight: 20 },
                { name: 'api-canary', port: 8080, weight: 80 },
              ],
            },
          ],
        },
      };
      await kubectlApply(JSON.stringify(manifest), namespace);
      await waitFor(
        'the mesh to follow the HTTPRoute',
        async () => {
          const sample = await load(`http://api.${namespace}:8080/`, 50, 4);
          const share = sample.filter((a) => a.pod.startsWith('api-canary')).length / sample.length;
          return share >= 0.7 ? true : undefined;
        },
        poll,
      );
      const answers = await load(`http://api.${namespace}:8080/`, 500);
      const share = answers.filter((a) => a.pod.startsWith('api-canary')).length / answers.length;
      expect(share).toBeGreaterThanOrEqual(0.75);
      expect(share).toBeLessThanOrEqual(0.85);
    });
  });
});
