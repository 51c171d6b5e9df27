import type { KubeObject } from '../kube/api-server.js';

/** The demo's app, as the contract's examples name it. */
export const DEMO_APP = 'podinfo';

/** One release of the demo app: the playground's pods behave as their environment says. */
export interface Release {
  image: string;
  /** Fraction of requests the pods answer with 500. */
  errorRate: number;
}

export const releases = {
  initial: { image: 'fledge/demo:1.0.0', errorRate: 0 },
  healthy: { image: 'fledge/demo:2.0.0', errorRate: 0 },
  faulty: { image: 'fledge/demo:2.1.0', errorRate: 0.3 },
} as const satisfies Record<string, Release>;

/**
 * The figures of the demo's Rollout. The interval leaves
 * Prometheus (1 s scrapes) time for two samples of the new pods' traffic before the first
 * check; at 2 s, every other healthy release began with a "no data" failed check.
 */
const analysis = {
  interval: '4s',
  threshold: 3,
  stepWeight: 10,
  maxWeight: 50,
  metricInterval: '10s',
  minSuccessRate: 99,
  maxP99Ms: 500,
} as const;

/** The app's only container; a merge patch replaces the whole list, so it is always whole. */
function appContainer(release: Release) {
  return {
    name: 'app',
    image: release.image,
    ports: [{ name: 'http', containerPort: 8080 }],
    env: [
      { name: 'ERROR_RATE', value: String(release.errorRate) },
      { name: 'LATENCY_MS', value: '20' },
    ],
  };
}

export function demoDeployment(namespace: string): KubeObject {
  const labels = { app: DEMO_APP };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: DEMO_APP, namespace, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [appContainer(releases.initial)] },
      },
    },
  };
}

/** The Deployment change that ships `release`, as a merge patch. */
export function releasePatch(release: Release) {
  return { spec: { template: { spec: { containers: [appContainer(release)] } } } };
}

/**
 * Workload mode over SMI, with intervals compressed for a demo. The loadtester is the only
 * traffic: its `rollout` webhooks load the canary Service and the apex while the analysis
 * runs. The `pre-rollout` one starts the canary's load a few seconds before the first check
 * (the loadtester runs one load per rollout and URL), so that check already has data.
 */
export function demoRollout(namespace: string, loadtesterUrl: string): KubeObject {
  const load = (service: string, rps: string) => ({
    type: 'autocannon',
    url: `http://${service}.${namespace}:8080/`,
    rps,
    duration: '60s',
  });
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: DEMO_APP, namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: DEMO_APP },
      service: { port: 8080, targetPort: 8080 },
      routing: { provider: 'smi' },
      analysis: {
        interval: analysis.interval,
        threshold: analysis.threshold,
        stepWeight: analysis.stepWeight,
        maxWeight: analysis.maxWeight,
        metrics: [
          {
            name: 'request-success-rate',
            thresholdRange: { min: analysis.minSuccessRate },
            interval: analysis.metricInterval,
          },
          {
            name: 'request-duration',
            thresholdRange: { max: analysis.maxP99Ms },
            interval: analysis.metricInterval,
          },
        ],
        webhooks: [
          {
            name: 'start-load',
            type: 'pre-rollout',
            url: loadtesterUrl,
            timeout: '5s',
            metadata: load(`${DEMO_APP}-canary`, '20'),
          },
          {
            name: 'load-canary',
            type: 'rollout',
            url: loadtesterUrl,
            timeout: '5s',
            metadata: load(`${DEMO_APP}-canary`, '20'),
          },
          {
            name: 'load-apex',
            type: 'rollout',
            url: loadtesterUrl,
            timeout: '5s',
            metadata: load(DEMO_APP, '10'),
          },
        ],
      },
      promotion: 'auto',
      progressDeadlineSeconds: 60,
    },
  };
}
