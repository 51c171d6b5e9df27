/**
 * Grouped queries, pure: which metrics of many rollouts can be asked of Prometheus as one
 * query, how that query reads for a set of rollouts (split past a size bound), and how its
 * answer is fanned out so each rollout gets exactly the value its own query would return.
 */
import type { BuiltInMetric } from '../api/types.js';
import type { GroupSeries, SeriesReading } from './grouped-result.js';
import {
  type AnalysisMode,
  type GroupableMode,
  groupedBuiltinQuery,
  IDENTITY_LABELS,
  isBuiltinMetric,
} from './linkerd.js';
import { templateGrouping } from './template-grouping.js';

/** What names one rollout's workload in a grouped answer: its namespace and Deployment or Service. */
export interface WorkloadIdentity {
  namespace: string;
  name: string;
}

/** One metric definition shared by many rollouts; the same key means the same grouped query. */
export interface GroupDefinition {
  key: string;
  /** The labels of each answer series that name its workload, namespace first. */
  labels: readonly [string, string];
  /** The query for these workloads (at least one). */
  render(members: readonly WorkloadIdentity[]): string;
}

export interface Groupable {
  definition: GroupDefinition;
  identity: WorkloadIdentity;
}

/**
 * A DNS label. Only such names go into a grouped query: the workload query matches its
 * Deployment with `=~`, so a name with a dot is a pattern today, and an alternation of plain
 * labels needs no escaping to mean exactly those names.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface GroupableMetric {
  name: string;
  query?: string;
  quantile?: number;
  unavailable?: string;
}

/**
 * The grouped form of a metric for one rollout, or undefined when it must be asked alone:
 * a query of its own that template-grouping.ts does not accept, a remote canary's built-in
 * (named by an authority pattern), or a name that is not a DNS label. `interval` is the
 * metric's rendered window, as its own query has it.
 */
export function groupable(
  metric: GroupableMetric,
  where: { mode: AnalysisMode; namespace: string; target: string; service: string },
  interval: string,
): Groupable | undefined {
  if (metric.unavailable !== undefined) return undefined;
  if (metric.query !== undefined) return groupableTemplate(metric.query, where, interval);
  if (!isBuiltinMetric(metric.name) || where.mode === 'remote') return undefined;
  const identity = {
    namespace: where.namespace,
    name: where.mode === 'workload' ? where.target : where.service,
  };
  if (!DNS_LABEL.test(identity.namespace) || !DNS_LABEL.test(identity.name)) return undefined;
  const quantile = metric.quantile ?? 0.99;
  return {
    definition: builtinDefinition(metric.name, where.mode, quantile, interval),
    identity,
  };
}

function groupableTemplate(
  query: string,
  where: { namespace: string; target: string; service: string },
  interval: string,
): Groupable | undefined {
  const grouping = templateGrouping(query, interval);
  if (!grouping) return undefined;
  const identity = { namespace: where.namespace, name: where[grouping.nameVariable] };
  if (!DNS_LABEL.test(identity.namespace) || !DNS_LABEL.test(identity.name)) return undefined;
  return {
    definition: {
      key: JSON.stringify(['template', query, interval]),
      labels: grouping.labels,
      render: (members) =>
        grouping.render({
          namespaces: alternation(members.map((m) => m.namespace)),
          names: alternation(members.map((m) => m.name)),
        }),
    },
    identity,
  };
}

function builtinDefinition(
  name: BuiltInMetric,
  mode: GroupableMode,
  quantile: number,
  interval: string,
): GroupDefinition {
  return {
    key: JSON.stringify(['builtin', name, mode, quantile, interval]),
    labels: IDENTITY_LABELS[mode],
    render: (members) =>
      groupedBuiltinQuery(name, mode, quantile, {
        namespaces: alternation(members.map((m) => m.namespace)),
        names: alternation(members.map((m) => m.name)),
      }).replaceAll('{{ interval }}', interval),
  };
}

/** Sorted and without repeats, so the same members always make the same query text. */
function alternation(values: readonly string[]): string {
  return [...new Set(values)].sort().join('|');
}

export function identityKey(identity: WorkloadIdentity): string {
  return `${identity.namespace}/${identity.name}`;
}

export interface GroupBounds {
  /** Workloads per query at most. */
  maxMembers: number;
  /** Characters per query at most (a single workload's query is asked even if longer). */
  maxQueryChars: number;
}

/**
 * The workloads split into as few queries as the bounds allow, in their order, each
 * workload once: more workloads than one query may name go into the next.
 */
export function splitMembers(
  definition: GroupDefinition,
  members: readonly WorkloadIdentity[],
  bounds: GroupBounds,
): WorkloadIdentity[][] {
  const unique = [...new Map(members.map((m) => [identityKey(m), m])).values()];
  const chunks: WorkloadIdentity[][] = [];
  let chunk: WorkloadIdentity[] = [];
  for (const member of unique) {
    const widened = [...chunk, member];
    const fits =
      widened.length <= bounds.maxMembers &&
      definition.render(widened).length <= bounds.maxQueryChars;
    if (fits || chunk.length === 0) {
      chunk = widened;
    } else {
      chunks.push(chunk);
      chunk = [member];
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Each workload's value from a grouped answer, in the order of `members`: no series for it
 * is no data (`noSeries`: null, or a grid of nulls), a NaN or Inf is no data, a series that cannot be read fails that workload only,
 * and several series for one workload are refused as its own query's answer would be.
 */
export function fanOut<T = number | null>(
  series: readonly GroupSeries<T>[],
  labels: readonly [string, string],
  members: readonly WorkloadIdentity[],
  noSeries: () => T = () => null as T,
): SeriesReading<T>[] {
  const [namespaceLabel, nameLabel] = labels;
  const found = new Map<string, SeriesReading<T>[]>();
  for (const { labels: seriesLabels, sample } of series) {
    const namespace = seriesLabels[namespaceLabel];
    const name = seriesLabels[nameLabel];
    if (namespace === undefined || name === undefined) continue;
    const key = identityKey({ namespace, name });
    found.set(key, [...(found.get(key) ?? []), sample]);
  }
  return members.map((member) => {
    const samples = found.get(identityKey(member)) ?? [];
    const [first] = samples;
    if (first === undefined) return { value: noSeries() };
    if (samples.length > 1) {
      return {
        problem: `it returned ${samples.length} series for ${identityKey(member)} where one is needed`,
        fix: 'check that Prometheus does not scrape the same proxies twice under different labels',
      };
    }
    return first;
  });
}
