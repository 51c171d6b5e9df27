import type { Condition, MetricStatus } from '../api/types.js';
import type { RolloutObject } from '../cli/rollout-object.js';
import { historyOf } from './history.js';
import { clip, type EventRecord, type Marker, mergeMarkers } from './markers.js';
import { type ActionChoice, actionChoices, type RolloutRow, rolloutRow } from './rollout-row.js';

/** One analysis interval of one metric. */
export interface MetricPoint {
  at: number;
  /** null: the query returned no data. */
  value: number | null;
  passed: boolean;
  message?: string;
}

/** A metric's values over time against its accepted range. */
export interface MetricSeries {
  metric: string;
  min?: number;
  max?: number;
  points: MetricPoint[];
}

/** The canary weight from `at` on, until the next step. */
export interface WeightStep {
  at: number;
  weight: number;
}

/** Everything the page shows about one rollout, on one time axis (epoch ms). */
export interface Timeline {
  row: RolloutRow;
  conditions: Condition[];
  /** The last interval's results, also when no history holds them. */
  lastAnalysis: MetricStatus[];
  weights: WeightStep[];
  metrics: MetricSeries[];
  markers: Marker[];
  actions: ActionChoice[];
  /** The axis: from the first thing recorded to now. */
  from: number;
  to: number;
  /** Events left out to keep the answer small (the oldest go first). */
  eventsOmitted: number;
}

/** Events beyond this many are left out, oldest first (history keeps at most HISTORY_LIMIT). */
export const MAX_EVENTS = 200;
/** The axis of a rollout with nothing recorded yet. */
const EMPTY_SPAN_MS = 10 * 60_000;

/**
 * A rollout's timeline from what the cluster keeps: status.history (decisions and analysis
 * intervals, in etcd, so it survives restarts), the rollout's Events (decisions history does
 * not hold: gates, webhooks, drift, refusals, or decisions history no longer keeps),
 * and the current status.
 */
export function timelineOf(
  rollout: RolloutObject,
  events: readonly EventRecord[],
  now: number,
): Timeline {
  const history = historyOf(rollout.status);
  const recent = [...events].sort((a, b) => a.at - b.at).slice(-MAX_EVENTS);
  const markers = mergeMarkers(history, recent);
  const status = rollout.status ?? {};
  const row = rolloutRow(rollout);

  const weights: WeightStep[] = [];
  for (const entry of history) {
    if (weights.at(-1)?.weight !== entry.canaryWeight) {
      weights.push({ at: entry.at, weight: entry.canaryWeight });
    }
  }
  if (weights.length > 0) weights.push({ at: now, weight: row.canaryWeight });

  const times = [...history.map((e) => e.at), ...markers.map((m) => m.at)];
  const from = times.length > 0 ? Math.min(...times) : now - EMPTY_SPAN_MS;

  return {
    row,
    conditions: (status.conditions ?? []).map((c) => ({ ...c, message: clip(c.message ?? '') })),
    lastAnalysis: (status.lastAnalysis ?? []).map((m) => ({
      ...m,
      ...(m.message ? { message: clip(m.message) } : {}),
    })),
    weights,
    metrics: metricSeries(rollout, history),
    markers,
    actions: actionChoices(rollout),
    from: Math.min(from, now),
    to: now,
    eventsOmitted: events.length - recent.length,
  };
}

/**
 * One series per metric of the spec, in the spec's order, then any metric only history
 * knows (a metric since removed from the spec). The range is the spec's; a metric no longer
 * in the spec keeps the range its last interval was judged against.
 */
function metricSeries(
  rollout: RolloutObject,
  history: ReturnType<typeof historyOf>,
): MetricSeries[] {
  const series = new Map<string, MetricSeries>();
  for (const metric of rollout.spec?.analysis?.metrics ?? []) {
    series.set(metric.name, {
      metric: metric.name,
      ...range(metric.thresholdRange?.min, metric.thresholdRange?.max),
      points: [],
    });
  }
  for (const entry of history) {
    for (const result of entry.analysis ?? []) {
      let target = series.get(result.metric);
      if (!target) {
        target = { metric: result.metric, points: [] };
        series.set(result.metric, target);
      }
      if (!rollout.spec?.analysis?.metrics?.some((m) => m.name === result.metric)) {
        Object.assign(target, range(result.min, result.max));
      }
      target.points.push({
        at: entry.at,
        value: result.value ?? null,
        passed: result.passed,
        ...(result.message ? { message: clip(result.message) } : {}),
      });
    }
  }
  return [...series.values()];
}

function range(
  min: number | undefined,
  max: number | undefined,
): Pick<MetricSeries, 'min' | 'max'> {
  return {
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
  };
}
