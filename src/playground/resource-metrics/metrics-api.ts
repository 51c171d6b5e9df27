import { parseLabelSelector } from './label-selector.js';
import type { ContainerUsage } from './pod-usage.js';

/**
 * The answers of the `metrics.k8s.io/v1beta1` API (pods only), as metrics-server gives them,
 * for what the kubelet simulator runs. Pure: the server feeds it the pods and the time.
 */
export const GROUP_VERSION = 'metrics.k8s.io/v1beta1';

export interface MeasuredPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containers: ContainerUsage[];
}

export interface Answer {
  status: number;
  body: unknown;
}

const resourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: GROUP_VERSION,
  resources: [
    {
      name: 'pods',
      singularName: '',
      namespaced: true,
      kind: 'PodMetrics',
      verbs: ['get', 'list'],
    },
  ],
};

const apiGroup = {
  kind: 'APIGroup',
  apiVersion: 'v1',
  name: 'metrics.k8s.io',
  versions: [{ groupVersion: GROUP_VERSION, version: 'v1beta1' }],
  preferredVersion: { groupVersion: GROUP_VERSION, version: 'v1beta1' },
};

function status(code: number, reason: string, message: string): Answer {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message },
  };
}

function podMetrics(pod: MeasuredPod, now: Date, windowSeconds: number) {
  return {
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    timestamp: now.toISOString(),
    window: `${windowSeconds}s`,
    containers: pod.containers,
  };
}

/** The answer to a GET of `path` with `labelSelector`, from the pods running now. */
export function metricsAnswer(
  path: string,
  labelSelector: string | null,
  pods: readonly MeasuredPod[],
  now: Date,
  windowSeconds: number,
): Answer {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return { status: 200, body: { paths: ['/apis/metrics.k8s.io/v1beta1'] } };
  if (trimmed === '/apis/metrics.k8s.io') return { status: 200, body: apiGroup };
  if (trimmed === `/apis/${GROUP_VERSION}`) return { status: 200, body: resourceList };
  const match = new RegExp(
    `^/apis/${GROUP_VERSION}(?:/namespaces/([^/]+))?/pods(?:/([^/]+))?$`,
  ).exec(trimmed);
  if (!match) return status(404, 'NotFound', `the metrics API serves no ${path}`);
  const [, namespace, name] = match.map((part) => (part ? decodeURIComponent(part) : part));
  if (name !== undefined) {
    const pod = pods.find((p) => p.namespace === namespace && p.name === name);
    if (!pod) return status(404, 'NotFound', `podmetrics "${name}" not found`);
    return {
      status: 200,
      body: {
        kind: 'PodMetrics',
        apiVersion: GROUP_VERSION,
        ...podMetrics(pod, now, windowSeconds),
      },
    };
  }
  let selects: (labels: Record<string, string>) => boolean;
  try {
    selects = parseLabelSelector(labelSelector ?? undefined);
  } catch (error) {
    return status(400, 'BadRequest', (error as Error).message);
  }
  const items = pods
    .filter(
      (pod) => (namespace === undefined || pod.namespace === namespace) && selects(pod.labels),
    )
    .map((pod) => podMetrics(pod, now, windowSeconds));
  return {
    status: 200,
    body: { kind: 'PodMetricsList', apiVersion: GROUP_VERSION, metadata: {}, items },
  };
}
