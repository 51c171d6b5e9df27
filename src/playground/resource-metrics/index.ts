import { readFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ApiServer, isConflict, type KubeObject } from '../../kube/api-server.js';
import { knownTypes, ResourceClient, type ResourceType } from '../../kube/resources.js';
import { startSimulatorWatch } from '../simulator-watch.js';
import { CounterRates } from './counter-rates.js';
import { type MeasuredPod, metricsAnswer } from './metrics-api.js';
import { containerUsage, isMetered, type UsageContainer } from './pod-usage.js';

export interface ResourceMetricsOptions {
  kubeconfigPath: string;
  /** kube-apiserver's --cert-dir: its self-signed serving certificate serves here too. */
  pkiDir: string;
  /** Requests the pod has served so far (the mesh counts them inbound). */
  requestsServed(namespace: string, pod: string): number;
  logger: Logger;
}

export interface ResourceMetrics {
  /** https://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

interface MeteredPod extends KubeObject {
  metadata?: KubeObject['metadata'] & { deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: UsageContainer[] };
  status?: { phase?: string };
}

/** The window metrics-server reports over, and the one request rates are measured in. */
const WINDOW_SECONDS = 15;
const SAMPLE_MS = 1000;
const NAME = 'fledge-metrics-server';
const apiServices: ResourceType = {
  group: 'apiregistration.k8s.io',
  version: 'v1',
  plural: 'apiservices',
  kind: 'APIService',
  namespaced: false,
};

/**
 * metrics-server for the playground: `metrics.k8s.io/v1beta1` pod metrics that follow each
 * pod's environment and the requests the mesh sees it serve, served over HTTPS and registered
 * with the API server's aggregator, so kube-controller-manager's real HPA controller (and
 * `kubectl top pod`) read them. Resolves once the APIService is Available.
 */
export async function startResourceMetrics(
  options: ResourceMetricsOptions,
): Promise<ResourceMetrics> {
  const logger = options.logger.child({ component: 'metrics-server' });
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const api = new ApiServer(kc);
  const rates = new CounterRates(WINDOW_SECONDS * 1000);
  const { watcher: pods, synced } = startSimulatorWatch<MeteredPod>(
    api,
    knownTypes.pods,
    {},
    logger,
  );
  const running = () => pods.list().filter(isMetered);
  const keyOf = (pod: MeteredPod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const sampler = setInterval(() => {
    const now = Date.now();
    const live = new Set<string>();
    for (const pod of running()) {
      const key = keyOf(pod);
      live.add(key);
      const served = options.requestsServed(
        pod.metadata?.namespace ?? '',
        pod.metadata?.name ?? '',
      );
      rates.observe(key, now, served);
    }
    rates.retain(live);
  }, SAMPLE_MS);
  const measured = (): MeasuredPod[] =>
    running().map((pod) => ({
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      labels: pod.metadata?.labels ?? {},
      containers: containerUsage(pod.spec?.containers ?? [], rates.rate(keyOf(pod))),
    }));

  const [key, cert] = await Promise.all([
    readFile(path.join(options.pkiDir, 'apiserver.key')),
    readFile(path.join(options.pkiDir, 'apiserver.crt')),
  ]);
  const server = https.createServer({ key, cert }, (req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'https://metrics.local');
    const answer =
      req.method === 'GET'
        ? metricsAnswer(
            url.pathname,
            url.searchParams.get('labelSelector'),
            measured(),
            new Date(),
            WINDOW_SECONDS,
          )
        : { status: 405, body: { kind: 'Status', code: 405, message: 'only GET' } };
    const body = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  const stop = async () => {
    clearInterval(sampler);
    await pods.stop();
    api.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await synced;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    await register(api, port);
    await waitAvailable(api);
    const url = `https://127.0.0.1:${port}`;
    logger.info({ url }, 'metrics.k8s.io served through the aggregator');
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The aggregator proxies `metrics.k8s.io` to a Service; an ExternalName one resolves to this
 * loopback address (a ClusterIP would need a pod network, Endpoints refuse loopback).
 */
async function register(api: ApiServer, port: number): Promise<void> {
  const services = new ResourceClient(api, knownTypes.services);
  const service = {
    metadata: { namespace: 'kube-system', name: NAME },
    spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ port }] },
  };
  const apiService = {
    metadata: { name: 'v1beta1.metrics.k8s.io' },
    spec: {
      service: { namespace: 'kube-system', name: NAME, port },
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      // The API server's own self-signed certificate, reused: nothing to verify it against.
      insecureSkipTLSVerify: true,
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  };
  await createOrPatch(services, 'kube-system', service);
  await createOrPatch(new ResourceClient(api, apiServices), undefined, apiService);
}

async function createOrPatch(
  client: ResourceClient,
  namespace: string | undefined,
  object: KubeObject,
): Promise<void> {
  try {
    await client.create(object);
  } catch (error) {
    if (!isConflict(error)) throw error;
    await client.mergePatch(namespace, object.metadata?.name ?? '', { spec: object.spec });
  }
}

/** Available, and served: the aggregator installs its proxy a moment after the condition. */
async function waitAvailable(api: ApiServer): Promise<void> {
  const client = new ResourceClient(api, apiServices);
  const deadline = Date.now() + 60_000;
  let last = 'not yet checked';
  while (Date.now() < deadline) {
    const found = await client.find(undefined, 'v1beta1.metrics.k8s.io');
    const conditions = (found?.status as { conditions?: Array<Record<string, string>> })
      ?.conditions;
    const available = conditions?.find((c) => c.type === 'Available');
    last = available ? `${available.reason}: ${available.message}` : 'no Available condition';
    if (available?.status === 'True') {
      try {
        await api.request('GET', '/apis/metrics.k8s.io/v1beta1');
        return;
      } catch (error) {
        last = `Available, but not served yet: ${String(error).slice(0, 200)}`;
      }
    }
    await sleep(250);
  }
  throw new Error(`APIService v1beta1.metrics.k8s.io did not become Available in 60 s: ${last}`);
}
