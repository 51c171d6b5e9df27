import { parse } from 'yaml';
import type { KubeObject } from '../src/kube/api-server.js';
import { appManifest, rolloutManifest, serviceManifest } from '../test/support/manifests.js';

/** One Rollout of the run, alone in its namespace `chaos-<key>`, always named `app`. */
export interface ChaosRollout {
  key: string;
  mode: 'workload' | 'backend';
  provider: 'smi' | 'gateway-api';
  apiVersion: string;
  /** The first revision's canary; later ones are drawn. A short run thus has both kinds. */
  firstFaulty: boolean;
}

/** Workload and backend mode, each through an SMI TrafficSplit and an HTTPRoute. */
export const ROLLOUT_MIX: readonly ChaosRollout[] = [
  {
    key: 'wl-smi',
    mode: 'workload',
    provider: 'smi',
    apiVersion: 'split.smi-spec.io/v1alpha2',
    firstFaulty: false,
  },
  {
    key: 'wl-gateway',
    mode: 'workload',
    provider: 'gateway-api',
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    firstFaulty: true,
  },
  {
    key: 'be-smi',
    mode: 'backend',
    provider: 'smi',
    apiVersion: 'split.smi-spec.io/v1alpha1',
    firstFaulty: true,
  },
  {
    key: 'be-linkerd',
    mode: 'backend',
    provider: 'gateway-api',
    apiVersion: 'policy.linkerd.io/v1beta3',
    firstFaulty: false,
  },
];

export const ROLLOUT_NAME = 'app';
export const namespaceOf = (rollout: ChaosRollout): string => `chaos-${rollout.key}`;

/**
 * Compressed analysis: a 2 s interval, and a threshold that a healthy canary survives
 * through a Prometheus restart or a leader hand-over (each costs it at most a check or two)
 * while a faulty one, failing every check, is rolled back within about 10 s.
 */
export const ANALYSIS = {
  interval: '2s',
  metricInterval: '6s',
  threshold: 5,
  stepWeight: 10,
  maxWeight: 50,
  /** Load on 2 busy cores, not the canary, decides latency here: only errors tell them apart. */
  p99MaxMs: 10_000,
} as const;

/** A faulty canary answers this share of requests with a 500. */
export const FAULTY_ERROR_RATE = 0.5;

/** Backend mode: the three Services (and Deployments) a revision's canary is chosen from. */
export const backendServices = (): string[] => [0, 1, 2].map((i) => `${ROLLOUT_NAME}-${i}`);

/** The canary Service before any revision: workload mode `app-canary`, backend mode `app-1`. */
export const initialCanary = (rollout: ChaosRollout): string =>
  rollout.mode === 'workload' ? `${ROLLOUT_NAME}-canary` : `${ROLLOUT_NAME}-1`;

/** Every object of one Rollout, in the order to create them; the namespace first. */
export function fleetObjects(rollout: ChaosRollout): KubeObject[] {
  const namespace = namespaceOf(rollout);
  const yaml: string[] = [];
  if (rollout.mode === 'workload') {
    yaml.push(appManifest({ name: ROLLOUT_NAME, namespace }));
  } else {
    for (const service of backendServices()) {
      yaml.push(
        appManifest({ name: service, namespace }),
        serviceManifest(service, namespace, false),
      );
    }
    yaml.push(serviceManifest(ROLLOUT_NAME, namespace, false, false));
  }
  yaml.push(
    rolloutManifest({
      name: ROLLOUT_NAME,
      namespace,
      provider: rollout.provider,
      apiVersion: rollout.apiVersion,
      interval: ANALYSIS.interval,
      metricInterval: ANALYSIS.metricInterval,
      threshold: ANALYSIS.threshold,
      stepWeight: ANALYSIS.stepWeight,
      maxWeight: ANALYSIS.maxWeight,
      p99Max: ANALYSIS.p99MaxMs,
      ...(rollout.mode === 'backend'
        ? { backends: { stable: `${ROLLOUT_NAME}-0`, canary: initialCanary(rollout) } }
        : {}),
    }),
  );
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    ...yaml.map((text) => parse(text) as KubeObject),
  ];
}

/** A strategic merge patch that makes a Deployment's pods a new revision, healthy or faulty. */
export function revisionPatch(revision: number, faulty: boolean): KubeObject {
  return {
    spec: {
      template: {
        metadata: { annotations: { [REVISION_ANNOTATION]: String(revision) } },
        spec: {
          containers: [
            {
              name: 'app',
              env: [{ name: 'ERROR_RATE', value: String(faulty ? FAULTY_ERROR_RATE : 0) }],
            },
          ],
        },
      },
    },
  };
}

export const REVISION_ANNOTATION = 'chaos.fledge.dev/revision';
