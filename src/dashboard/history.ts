import { isObject } from '../api/json.js';
import type { HistoryMetric, HistoryEntry as StoredEntry } from '../api/types.js';
import { HISTORY_LIMIT } from '../controller/history.js';

/** One metric of an analysis interval, as `status.history[].analysis[]` records it. */
export type HistoryAnalysis = HistoryMetric;

/**
 * One decision of the controller, kept in `status.history` (oldest first): the same decision
 * as the Kubernetes Event of that moment, but in etcd, so it outlives the Event's TTL and a
 * controller restart. As the page uses it: the time in epoch ms.
 */
export type HistoryEntry = Omit<StoredEntry, 'at'> & { at: number };

/** More than the controller keeps is not from fledge: it is cut, newest kept. */
export const MAX_HISTORY = HISTORY_LIMIT;

/**
 * The history in a Rollout's status, read defensively: status is written by whoever may
 * patch it, so an entry without a time or a phase is left out rather than trusted.
 */
export function historyOf(status: unknown): HistoryEntry[] {
  const raw = isObject(status) ? status.history : undefined;
  if (!Array.isArray(raw)) return [];
  const entries: HistoryEntry[] = [];
  for (const item of raw.slice(-MAX_HISTORY)) {
    const entry = entryOf(item);
    if (entry) entries.push(entry);
  }
  return entries.sort((a, b) => a.at - b.at);
}

function entryOf(item: unknown): HistoryEntry | undefined {
  if (!isObject(item)) return undefined;
  const at = typeof item.at === 'string' ? Date.parse(item.at) : Number.NaN;
  if (Number.isNaN(at) || typeof item.phase !== 'string') return undefined;
  const analysis = Array.isArray(item.analysis)
    ? item.analysis.map(analysisOf).filter((a): a is HistoryAnalysis => a !== undefined)
    : undefined;
  return {
    at,
    revision: text(item.revision),
    phase: item.phase,
    canaryWeight: count(item.canaryWeight),
    failedChecks: count(item.failedChecks),
    type: item.type === 'Warning' ? 'Warning' : 'Normal',
    reason: text(item.reason),
    message: text(item.message),
    ...(analysis && analysis.length > 0 ? { analysis } : {}),
  };
}

function analysisOf(item: unknown): HistoryAnalysis | undefined {
  if (!isObject(item) || typeof item.metric !== 'string') return undefined;
  return {
    metric: item.metric,
    ...finite('value', item.value),
    ...finite('min', item.min),
    ...finite('max', item.max),
    passed: item.passed === true,
    ...(typeof item.message === 'string' ? { message: item.message } : {}),
  };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : 0;
const finite = <K extends string>(key: K, value: unknown): Partial<Record<K, number>> =>
  typeof value === 'number' && Number.isFinite(value)
    ? ({ [key]: value } as Record<K, number>)
    : {};
