import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import {
  type ResourceMetrics,
  startResourceMetrics,
} from '../../../src/playground/resource-metrics/index.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';

/**
 * The simulated metrics-server behind a real kube-apiserver's aggregator: what the HPA
 * controller and `kubectl top` read comes through the API server, as on a real cluster.
 */
const cluster = useApiServer();
const served = new Map<string, number>();
let metrics: ResourceMetrics | undefined;

beforeAll(async () => {
  metrics = await startResourceMetrics({
    kubeconfigPath: cluster().kubeconfigPath,
    pkiDir: cluster().pkiDir,
    requestsServed: (namespace, pod) => served.get(`${namespace}/${pod}`) ?? 0,
    logger: pino({ level: 'silent' }),
  });
}, 90_000);

afterAll(async () => {
  await metrics?.stop();
});

interface PodMetricsList {
  kind: string;
  items: Array<{
    metadata: { name: string };
    window: string;
    containers: Array<{ name: string; usage: { cpu: string; memory: string } }>;
  }>;
}

async function runningPod(namespace: string, name: string, labels: Record<string, string>) {
  const pods = new ResourceClient(cluster().api, knownTypes.pods);
  await pods.create({
    metadata: { namespace, name, labels },
    spec: {
      nodeName: 'playground',
      containers: [
        {
          name: 'app',
          image: 'fledge/demo:1.0.0',
          ports: [{ containerPort: 8080 }],
          env: [
            { name: 'CPU_MILLICORES', value: '20' },
            { name: 'CPU_MILLICORES_PER_RPS', value: '10' },
            { name: 'MEMORY_MIB', value: '64' },
          ],
        },
        { name: 'sidecar', image: 'fledge/sidecar:1' },
      ],
    },
  });
  await pods.mergePatch(namespace, name, { status: { phase: 'Running' } }, 'status');
}

describe('the simulated metrics-server through the aggregator', () => {
  it('serves discovery for metrics.k8s.io/v1beta1', async () => {
    const list = await cluster().api.request<{ resources: Array<{ name: string }> }>(
      'GET',
      '/apis/metrics.k8s.io/v1beta1',
    );
    expect(list.resources.map((r) => r.name)).toEqual(['pods']);
  });

  it("reports each running pod's CPU from its env and the requests it serves, by label selector", async () => {
    const namespace = await cluster().createNamespace('metrics');
    await runningPod(namespace, 'api-1', { app: 'api' });
    await runningPod(namespace, 'web-1', { app: 'web' });
    const path = `/apis/metrics.k8s.io/v1beta1/namespaces/${namespace}/pods`;
    const atRest = await waitFor('metrics of the api pod', async () => {
      const list = await cluster().api.request<PodMetricsList>('GET', path, {
        query: { labelSelector: 'app in (api)' },
      });
      return list.items.length === 1 ? list : undefined;
    });
    expect(atRest.items[0]).toMatchObject({
      metadata: { name: 'api-1' },
      window: '15s',
      containers: [
        { name: 'app', usage: { cpu: '20m', memory: '64Mi' } },
        { name: 'sidecar', usage: { cpu: '10m', memory: '32Mi' } },
      ],
    });

    // 10 requests a second for a few seconds: 20m + 10 rps x 10m = 120m on the serving container.
    const started = Date.now();
    const timer = setInterval(() => {
      served.set(`${namespace}/api-1`, Math.round(((Date.now() - started) / 1000) * 10));
    }, 100);
    try {
      const loaded = await waitFor(
        'CPU to follow the request rate',
        async () => {
          const pod = await cluster().api.request<PodMetricsList['items'][number]>(
            'GET',
            `${path}/api-1`,
          );
          const cpu = Number.parseInt(pod.containers[0]?.usage.cpu ?? '0', 10);
          return cpu >= 110 && cpu <= 130 ? cpu : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 500 },
      );
      expect(loaded).toBeGreaterThanOrEqual(110);
    } finally {
      clearInterval(timer);
    }
  });

  it('answers 404 for a pod it does not run', async () => {
    await expect(
      cluster().api.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope'),
    ).rejects.toMatchObject({ statusCode: 404 });
  });
});
