/**
 * Analyses metrics resolved from MetricTemplates as the controller does for the Rollout
 * `podinfo` (workload mode), with a controller provider that fails the test if asked: a
 * template's query must go to the template's own provider.
 */
import { type AnalysisMetric, analyse } from '../../src/metrics/analysis.js';
import type { MetricsProvider } from '../../src/metrics/prometheus.js';

const controllerProvider: MetricsProvider = {
  query: async () => {
    throw new Error('the controller provider was asked');
  },
};

export function analysePodinfo(metrics: readonly AnalysisMetric[], namespace: string) {
  return analyse({
    metrics,
    mode: 'workload',
    provider: controllerProvider,
    namespace,
    target: 'podinfo',
    service: 'podinfo-canary',
    defaultIntervalMs: 30_000,
  });
}
