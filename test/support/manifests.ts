import { stringify } from 'yaml';

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
  /** `analysis.stepWeightPromotion`: after promotion, traffic returns to the primary in steps. */
  stepWeightPromotion?: number;
  promotion?: 'auto' | 'manual';
  p99Max?: number;
  successRateMin?: number;
  metricInterval?: string;
  extraSpec?: Record<string, unknown>;
  webhooks?: Array<Record<string, unknown>>;
  alerts?: Array<Record<string, unknown>>;
  /** `analysis.judge`, the statistical judge. */
  judge?: Record<string, unknown>;
  /** Backend mode between these two Services, instead of the Deployment named `name`. */
  backends?: { stable: string; canary: string };
}

/**
 * The failed checks a healthy canary may meet without being rolled back. With 2 s intervals,
 * the first check usually comes before two scrapes of the new canary's traffic ("no data"),
 * and on a busy shared machine Prometheus may not answer a query within the controller's 5 s;
 * an interval of a minute hides both. Scenarios about failure set their own threshold.
 */
const defaultThreshold = 10;

/** A Rollout (workload mode unless `backends`) with compressed intervals and both built-in metrics. */
export function rolloutManifest(o: RolloutOptions): string {
  const metricInterval = o.metricInterval ?? '10s';
  return stringify({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      ...(o.backends
        ? {
            backends: {
              stable: { service: o.backends.stable },
              canary: { service: o.backends.canary },
            },
            service: { name: o.name, port: 8080 },
          }
        : {
            targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name },
            service: { port: 8080, targetPort: 8080 },
          }),
      routing: {
        provider: o.provider ?? 'smi',
        ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
      },
      analysis: {
        interval: o.interval ?? '2s',
        threshold: o.threshold ?? defaultThreshold,
        maxWeight: o.maxWeight ?? 50,
        stepWeight: o.stepWeight ?? 10,
        ...(o.stepWeightPromotion ? { stepWeightPromotion: o.stepWeightPromotion } : {}),
        ...(o.webhooks ? { webhooks: o.webhooks } : {}),
        ...(o.alerts ? { alerts: o.alerts } : {}),
        ...(o.judge ? { judge: o.judge } : {}),
        metrics: [
          {
            name: 'request-success-rate',
            thresholdRange: { min: o.successRateMin ?? 99 },
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

/** A Service on port 8080; with `selector`, of the pods labelled app=<name>; `exported` for multicluster mirroring. */
export function serviceManifest(
  name: string,
  namespace: string,
  exported: boolean,
  selector = true,
) {
  return stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: exported ? { 'mirror.linkerd.io/exported': 'true' } : {},
    },
    spec: {
      ...(selector ? { selector: { app: name } } : {}),
      ports: [{ name: 'http', port: 8080, targetPort: 8080 }],
    },
  });
}
