import type { MachineDocument } from '../../machines/persistence.js';
import { describeAnalysis } from '../../machines/updates.js';
import type { HistoryEntry, HistoryMetric } from '../api/types.js';
import type { Decision } from './decisions.js';

/** Entries kept in `status.history` (the CRD's maxItems): the oldest go first. */
export const HISTORY_LIMIT = 64;
const MESSAGE_LIMIT = 512;

const clip = (text: string): string =>
  text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT - 1)}…` : text;

/** A metric of the analysis as history keeps it: no value when there was no data. */
function historyMetrics(document: MachineDocument): HistoryMetric[] {
  return (document.lastAnalysis?.results ?? []).slice(0, 32).map((result) => ({
    metric: result.metric,
    ...(result.value === null || !Number.isFinite(result.value) ? {} : { value: result.value }),
    ...(result.min === undefined ? {} : { min: result.min }),
    ...(result.max === undefined ? {} : { max: result.max }),
    passed: result.passed,
    ...(result.message ? { message: clip(result.message) } : {}),
  }));
}

/** What history records of a decision, and the state of the rollout right after it. */
export function historyEntry(
  decision: Decision,
  document: MachineDocument,
  at: Date,
  { withAnalysis = false } = {},
): HistoryEntry {
  return {
    at: at.toISOString(),
    revision: document.revision,
    phase: document.phase,
    canaryWeight: document.canaryWeight,
    failedChecks: document.failedChecks,
    type: decision.type,
    reason: decision.reason.slice(0, 128),
    message: clip(decision.message),
    ...(withAnalysis ? { analysis: historyMetrics(document) } : {}),
  };
}

/**
 * The history entries between two documents: every decision, and each analysis interval
 * (a passing one is no Event, but the timeline shows its values).
 */
export function historyBetween(
  before: MachineDocument | null,
  after: MachineDocument,
  decisions: readonly Decision[],
  at: Date,
): HistoryEntry[] {
  const analysed = before !== null && after.iterations > before.iterations;
  const entries = decisions.map((decision) =>
    historyEntry(decision, after, at, {
      withAnalysis: analysed && decision.reason === 'FailedCheck',
    }),
  );
  if (analysed && !decisions.some((decision) => decision.reason === 'FailedCheck')) {
    const analysis = after.lastAnalysis ? describeAnalysis(after.lastAnalysis) : 'no metrics';
    entries.unshift(
      historyEntry(
        {
          type: 'Normal',
          reason: 'Analysis',
          message: `analysis ${after.iterations}: ${analysis}`,
        },
        after,
        at,
        { withAnalysis: true },
      ),
    );
  }
  return entries;
}

/** `history` with `entries` appended, at most HISTORY_LIMIT long. */
export function appendHistory(
  history: readonly HistoryEntry[] | undefined,
  entries: readonly HistoryEntry[],
): HistoryEntry[] {
  return [...(history ?? []), ...entries].slice(-HISTORY_LIMIT);
}
