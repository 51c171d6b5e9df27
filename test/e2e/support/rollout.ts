import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import type { Rollout, RolloutStatus } from '../../../src/api/types.js';
import { ApiServer, type KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { kubectl } from './kubectl.js';
import { type WaitOptions, waitFor } from './wait.js';

export interface AppOptions {
  name: string;
  namespace: string;
  image?: string;
  errorRate?: number;
  latencyMs?: number;
  replicas?: number;
}

/** A Deployment of the playground's demo app: its errors and latency follow its env. */
export function appManifest(app: AppOptions): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app.name, namespace: app.namespace, labels: { app: app.name } },
    spec: {
      replicas: app.replicas ?? 1,
      selector: { matchLabels: { app: app.name } },
      template: {
        metadata: { labels: { app: app.name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: app.image ?? 'fledge/demo:1.0.0',
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'ERROR_RATE', value: String(app.errorRate ?? 0) },
                { name: 'LATENCY_MS', value: String(app.latencyMs ?? 0) },
              ],
            },
          ],
        },
      },
    },
  });
}

export interface RolloutOptions {
  name: string;
  namespace: string;
  provider?: 'smi' | 'gateway-api';
  apiVersion?: string;
  interval?: string;
  threshold?: number;
  stepWeight?: number;
  maxWeight?: number;
  promotion?: 'auto' | 'manual';
  p99Max?: number;
  metricInterval?: string;
  extraSpec?: Record<string, unknown>;
  webhooks?: Array<Record<string, unknown>>;
}

/**
 * The failed checks a healthy canary may meet without being rolled back. With 2 s intervals,
 * the first check usually comes before two scrapes of the new canary's traffic ("no data"),
 * and on a busy shared machine Prometheus may not answer a query within the controller's 5 s;
 * an interval of a minute hides both. Scenarios about failure set their own threshold.
 */
const defaultThreshold = 10;

/** A workload-mode Rollout with compressed intervals and both built-in metrics. */
export function rolloutManifest(o: RolloutOptions): string {
  const metricInterval = o.metricInterval ?? '10s';
  return stringify({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name },
      service: { port: 8080, targetPort: 8080 },
      routing: {
        provider: o.provider ?? 'smi',
        ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
      },
      analysis: {
        interval: o.interval ?? '2s',
        threshold: o.threshold ?? defaultThreshold,
        maxWeight: o.maxWeight ?? 50,
        stepWeight: o.stepWeight ?? 10,
        ...(o.webhooks ? { webhooks: o.webhooks } : {}),
        metrics: [
          {
            name: 'request-success-rate',
            thresholdRange: { min: 99 },
            interval: metricInterval,
          },
          {
            name: 'request-duration',
            thresholdRange: { max: o.p99Max ?? 500 },
            interval: metricInterval,
          },
        ],
      },
      promotion: o.promotion ?? 'auto',
      progressDeadlineSeconds: 60,
      ...(o.extraSpec ?? {}),
    },
  });
}

const rolloutClients = new Map<string, ResourceClient<Rollout & KubeObject>>();

/**
 * Cached per kubeconfig: status is polled every 200 ms, and a client per poll would open a
 * new TLS connection each time instead of reusing one ApiServer's keep-alive pool.
 */
export function rolloutClient(
  kubeconfigPath = inject('KUBECONFIG'),
): ResourceClient<Rollout & KubeObject> {
  let client = rolloutClients.get(kubeconfigPath);
  if (!client) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    client = new ResourceClient(new ApiServer(kc), knownTypes.rollouts);
    rolloutClients.set(kubeconfigPath, client);
  }
  return client;
}

export async function rolloutStatus(
  namespace: string,
  name: string,
  kubeconfigPath?: string,
): Promise<RolloutStatus> {
  const rollout = await rolloutClient(kubeconfigPath).find(namespace, name);
  return rollout?.status ?? {};
}

export interface StatusWaitOptions extends WaitOptions {
  /** The cluster to read, when it is not the e2e playground's. */
  kubeconfigPath?: string;
}

/** Polls the Rollout's status until `accept` says yes; also returns every status seen. */
export async function waitForStatus(
  namespace: string,
  name: string,
  what: string,
  accept: (status: RolloutStatus) => boolean,
  seen: RolloutStatus[] = [],
  { timeoutMs = 300_000, intervalMs = 200, kubeconfigPath }: StatusWaitOptions = {},
): Promise<RolloutStatus> {
  return waitFor(
    `rollout ${namespace}/${name} ${what}`,
    async () => {
      const status = await rolloutStatus(namespace, name, kubeconfigPath);
      seen.push(status);
      if (accept(status)) return status;
      throw new Error(
        `phase ${status.phase} weight ${status.canaryWeight} failed ${status.failedChecks}: ${status.message}`,
      );
    },
    { timeoutMs, intervalMs },
  );
}

/** Done either way: promoted or rolled back. */
export const finished = (status: RolloutStatus) =>
  status.phase === 'Succeeded' || status.phase === 'Failed';

export const waitInitialized = (namespace: string, name: string) =>
  waitForStatus(namespace, name, 'to be Initialized', (s) => s.phase === 'Initialized');

export async function createNamespace(namespace: string): Promise<void> {
  await kubectl(['create', 'namespace', namespace]);
}

export async function annotate(namespace: string, name: string, annotation: string): Promise<void> {
  await kubectl(['-n', namespace, 'annotate', '--overwrite', `rollout/${name}`, annotation]);
}

/** Distinct canary weights in the order they were seen. */
export function weightsSeen(statuses: RolloutStatus[]): number[] {
  const weights: number[] = [];
  for (const status of statuses) {
    const weight = status.canaryWeight;
    if (weight !== undefined && weights.at(-1) !== weight) weights.push(weight);
  }
  return weights;
}
