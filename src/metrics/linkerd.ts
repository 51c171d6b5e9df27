/**
 * fledge's built-in metrics as PromQL templates over Linkerd proxy metrics, kept apart from
 * the code that runs them. Workload mode reads the canary pods' inbound side, as Flagger's
 * Linkerd observer does; backend mode reads the callers' outbound side, so that a canary in
 * another cluster is judged by what its callers see.
 */

import { BUILT_IN_METRICS, type BuiltInMetric } from '../api/types.js';

/**
 * `remote`: a backend in another cluster measured by that cluster's Prometheus, inbound at the
 * pods serving its Service (any authority naming it: `<svc>`, `<svc>.<ns>`, the FQDN, a port).
 */
export type AnalysisMode = 'workload' | 'backend' | 'remote';

const WORKLOAD_SELECTOR =
  'namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound"';
const BACKEND_SELECTOR =
  'dst_namespace="{{ namespace }}", dst_service="{{ service }}", direction="outbound"';

function successRate(selector: string): string {
  return [
    'sum(rate(response_total{',
    selector,
    ', classification!="failure"}[{{ interval }}]))',
    ' / sum(rate(response_total{',
    selector,
    '}[{{ interval }}])) * 100',
  ].join('');
}

function durationQuantileMs(selector: string, quantile: number): string {
  return [
    `histogram_quantile(${quantile}, sum(rate(response_latency_ms_bucket{`,
    selector,
    '}[{{ interval }}])) by (le))',
  ].join('');
}

const REMOTE_SELECTOR = String.raw`namespace="{{ namespace }}", authority=~"{{ service }}(\\.{{ namespace }}(\\.svc(\\..+)?)?)?(:[0-9]+)?", direction="inbound"`;

const SELECTORS: Record<AnalysisMode, string> = {
  workload: WORKLOAD_SELECTOR,
  backend: BACKEND_SELECTOR,
  remote: REMOTE_SELECTOR,
};

export function isBuiltinMetric(name: string): name is BuiltInMetric {
  return (BUILT_IN_METRICS as readonly string[]).includes(name);
}

/**
 * The template of a built-in metric: `request-success-rate` in percent (0-100) of responses
 * not classified as failures, `request-duration` as a latency quantile in milliseconds (the
 * p99 unless the judge asks for another).
 */
export function builtinQuery(name: BuiltInMetric, mode: AnalysisMode, quantile = 0.99): string {
  const selector = SELECTORS[mode];
  return name === 'request-success-rate'
    ? successRate(selector)
    : durationQuantileMs(selector, quantile);
}
