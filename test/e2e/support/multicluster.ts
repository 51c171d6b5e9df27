import { stringify } from 'yaml';

/** Manifests and queries of the cross-cluster scenarios (test/e2e/multicluster.test.ts). */

export type ClusterName = 'east' | 'west';

export interface Scenario {
  name: string;
  /** Where the Rollout, the apex Service and the callers are; the controller watches it. */
  caller: ClusterName;
  stable: 'local' | 'remote';
  canary: 'local' | 'remote';
  provider: 'smi' | 'gateway-api';
  threshold?: number;
  /** Run by a controller given west's Prometheus (--cluster-prometheus west=...). */
  remotePrometheus?: boolean;
}

export { serviceManifest } from '../../support/manifests.js';

export const other = (cluster: ClusterName): ClusterName => (cluster === 'east' ? 'west' : 'east');

export function backend(service: string, remote: boolean, s: Scenario) {
  return remote ? { service, cluster: other(s.caller) } : { service };
}

/** A backend-mode Rollout `podinfo` with compressed intervals and both built-in metrics. */
export function backendRolloutManifest(s: Scenario, namespace: string, canary: string): string {
  return stringify({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'podinfo', namespace },
    spec: {
      service: { name: 'podinfo', port: 8080 },
      backends: {
        stable: backend('podinfo-stable', s.stable === 'remote', s),
        canary: backend(canary, s.canary === 'remote', s),
      },
      routing: { provider: s.provider },
      analysis: {
        interval: '2s',
        // As in the workload scenarios: a busy machine's failed checks must not roll back a
        // healthy canary; faulty scenarios set 3.
        threshold: s.threshold ?? 10,
        maxWeight: 50,
        stepWeight: 10,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '10s' },
          // Backend mode reads the caller's outbound latency: the whole trip through three
          // simulated hops (caller mesh, gateway, remote mesh) that share this test's event
          // loop. A healthy canary's p99 reached 2.8 s there at load 15 on the shared 2-core
          // machine; no scenario here is about latency, so the bound only tells healthy from
          // broken.
          { name: 'request-duration', thresholdRange: { max: 5000 }, interval: '10s' },
        ],
      },
      promotion: 'auto',
      progressDeadlineSeconds: 60,
    },
  });
}
