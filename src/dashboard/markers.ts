import { failureCauses } from '../../machines/rolling-back.js';
import type { KubeObject } from '../kube/api-server.js';
import type { HistoryEntry } from './history.js';

/** What a mark on the time axis stands for; the page draws each kind in its own way. */
export type MarkerKind =
  | 'rollback'
  | 'promotion'
  | 'check'
  | 'weight'
  | 'gate'
  | 'webhook'
  | 'action'
  | 'decision'
  | 'warning';

export interface Marker {
  /** Epoch ms. */
  at: number;
  kind: MarkerKind;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** How often an Event repeated (the API server's aggregation); 1 for history entries. */
  count: number;
  source: 'history' | 'event';
}

/** The same decision in a Kubernetes Event, as the timeline needs it. */
export interface EventRecord {
  /** The last time it happened, epoch ms. */
  at: number;
  /** The first time, epoch ms; earlier than `at` when it repeated. */
  firstAt: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
}

/** The machine's reasons for a rollback, and the Event reason of a phase change to Failed. */
const ROLLBACK_REASONS = new Set([...Object.keys(failureCauses), 'Failed']);
const PROMOTION_REASONS = new Set(['Succeeded', 'Promoted', 'PromotionRequested', 'ManualPromote']);
const CHECK_REASONS = new Set(['FailedCheck', 'NoData']);

/**
 * Sorts a decision into a kind from its reason first and its words second: gates and
 * webhooks have no reasons of their own, they speak through messages ("confirm-promotion gate
 * is closed", "rollout webhooks failed"). ThresholdReached also pauses (onFailure: pause), so
 * a rollback is told by the phase after it where that is known (history), else by its words.
 */
export function markerKind(
  reason: string,
  message: string,
  type: string,
  phase?: string,
): MarkerKind {
  if (ROLLBACK_REASONS.has(reason)) {
    const rolledBack = phase ? phase === 'Failed' : /\broll(ed|ing) back\b/i.test(message);
    if (rolledBack) return 'rollback';
  }
  if (PROMOTION_REASONS.has(reason)) return 'promotion';
  if (CHECK_REASONS.has(reason)) return 'check';
  if (reason === 'WeightChanged') return 'weight';
  if (/\bgate\b/i.test(message)) return 'gate';
  if (/\bwebhooks?\b/i.test(message)) return 'webhook';
  if (reason.startsWith('Manual') || reason === 'ActionRefused') return 'action';
  return type === 'Warning' ? 'warning' : 'decision';
}

/** Messages are cut to this on the page; status and Events may carry up to 1 KiB. */
export const MAX_MESSAGE = 512;

export function clip(text: string, max = MAX_MESSAGE): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A core/v1 Event as a record, or undefined when it carries no time at all. */
export function eventRecordOf(event: KubeObject): EventRecord | undefined {
  const times = [event.lastTimestamp, event.eventTime, event.metadata?.creationTimestamp]
    .map((t) => (typeof t === 'string' ? Date.parse(t) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  const at = times[0];
  if (at === undefined) return undefined;
  const first = typeof event.firstTimestamp === 'string' ? Date.parse(event.firstTimestamp) : at;
  return {
    at,
    firstAt: Number.isNaN(first) ? at : Math.min(first, at),
    type: event.type === 'Warning' ? 'Warning' : 'Normal',
    reason: typeof event.reason === 'string' ? event.reason : '',
    message: typeof event.message === 'string' ? event.message : '',
    count: typeof event.count === 'number' && event.count > 0 ? event.count : 1,
  };
}

/** Clocks of the controller and the API server stamp the same decision a little apart. */
const SAME_MOMENT_MS = 2_000;
/** History keeps 512 characters of a message, Events 1 KiB: compare what both keep. */
const COMPARED_CHARS = 200;

/**
 * Whether an Event records a decision that a history entry already holds: same reason, a
 * message that starts the same, and the entry's time within the Event's first and last
 * occurrence.
 */
export function isRecordedIn(event: EventRecord, history: readonly HistoryEntry[]): boolean {
  const message = event.message.slice(0, COMPARED_CHARS);
  return history.some(
    (entry) =>
      entry.reason === event.reason &&
      entry.message.slice(0, COMPARED_CHARS) === message &&
      entry.at >= event.firstAt - SAME_MOMENT_MS &&
      entry.at <= event.at + SAME_MOMENT_MS,
  );
}

/** Analysis intervals are points on the metric plots; only their failures are also marks. */
const POINT_ONLY_REASONS = new Set(['Analysis']);

/**
 * The marks of a timeline: every history entry but plain analysis intervals, and the Events
 * history does not hold (gates, webhooks, drift, refusals, or decisions it no longer keeps),
 * oldest first.
 */
export function mergeMarkers(
  history: readonly HistoryEntry[],
  events: readonly EventRecord[],
): Marker[] {
  const markers: Marker[] = [];
  for (const entry of history) {
    if (POINT_ONLY_REASONS.has(entry.reason)) continue;
    markers.push({
      at: entry.at,
      kind: markerKind(entry.reason, entry.message, entry.type, entry.phase),
      type: entry.type,
      reason: entry.reason,
      message: clip(entry.message),
      count: 1,
      source: 'history',
    });
  }
  for (const event of events) {
    if (isRecordedIn(event, history)) continue;
    markers.push({
      at: event.at,
      kind: markerKind(event.reason, event.message, event.type),
      type: event.type,
      reason: event.reason,
      message: clip(event.message),
      count: event.count,
      source: 'event',
    });
  }
  return markers.sort((a, b) => a.at - b.at);
}
