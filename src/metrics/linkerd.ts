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

/** `by`: the labels a grouped query keeps apart (none: one series, the rollout's own). */
function successRate(selector: string, by: readonly string[] = []): string {
  const sum = by.length === 0 ? 'sum' : `sum by (${by.join(', ')}) `;
  return [
    `${sum}(rate(response_total{`,
    selector,
    ', classification!="failure"}[{{ interval }}]))',
    ` / ${sum}(rate(response_total{`,
    selector,
    '}[{{ interval }}])) * 100',
  ].join('');
}

function durationQuantileMs(
  selector: string,
  quantile: number,
  by: readonly string[] = [],
): string {
  return [
    `histogram_quantile(${quantile}, sum(rate(response_latency_ms_bucket{`,
    selector,
    `}[{{ interval }}])) by (${['le', ...by].join(', ')}))`,
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

/** The modes whose built-in queries name a rollout by two labels that one query can group by. */
export type GroupableMode = Exclude<AnalysisMode, 'remote'>;

/**
 * The two labels that name a rollout's workload in a built-in query of `mode`: its namespace
 * and its Deployment (workload) or Service (backend). A remote canary is named by an
 * authority pattern, not by a label value, so it has none.
 */
export const IDENTITY_LABELS: Record<GroupableMode, readonly [string, string]> = {
  workload: ['namespace', 'deployment'],
  backend: ['dst_namespace', 'dst_service'],
};

/**
 * A built-in metric for many workloads at once: the same query with the identity matchers
 * widened to alternations (`namespaces` and `names` are anchored PromQL regexes, escaped by
 * the caller) and the sums kept apart by the identity labels, so each workload's series is
 * the value it would get alone. Rendered but for {{ interval }}.
 */
export function groupedBuiltinQuery(
  name: BuiltInMetric,
  mode: GroupableMode,
  quantile: number,
  alternations: { namespaces: string; names: string },
): string {
  const [namespaceLabel, nameLabel] = IDENTITY_LABELS[mode];
  const direction = mode === 'workload' ? 'inbound' : 'outbound';
  const selector = `${namespaceLabel}=~"${alternations.namespaces}", ${nameLabel}=~"${alternations.names}", direction="${direction}"`;
  const by = IDENTITY_LABELS[mode];
  return name === 'request-success-rate'
    ? successRate(selector, by)
    : durationQuantileMs(selector, quantile, by);
}
