import type { MachineDocument } from '../../machines/persistence.js';
import { describeAnalysis } from '../../machines/updates.js';
import type { HistoryEntry, HistoryMetric } from '../api/types.js';
import type { Decision } from './decisions.js';

/** Entries kept in `status.history` (the CRD's maxItems): the oldest go first. */
export const HISTORY_LIMIT = 64;
/**
 * Entries kept of the releases before the current one: their decisions (why each was promoted
 * or rolled back, a failed check with its values), not their analysis intervals. Each status
 * write costs the API server in proportion to the size of the Rollout (docs/scale.md, "History
 * at steady state"), so a Rollout that has released many times must not carry every interval
 * of its past releases into every write of the next one.
 */
export const EARLIER_DECISIONS_LIMIT = 16;
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

/**
 * `history` with `entries` appended, at most HISTORY_LIMIT long: the current release (the
 * newest entries that share the last entry's revision) whole, and before it at most
 * EARLIER_DECISIONS_LIMIT of the earlier releases' entries, without their `Analysis` intervals.
 * Appending nothing to its own answer changes nothing, so an unchanged history writes no status.
 */
export function appendHistory(
  history: readonly HistoryEntry[] | undefined,
  entries: readonly HistoryEntry[],
): HistoryEntry[] {
  const all = [...(history ?? []), ...entries];
  const revision = all.at(-1)?.revision;
  let start = all.length;
  while (start > 0 && all[start - 1]?.revision === revision) start--;
  const earlier = all
    .slice(0, start)
    .filter((entry) => entry.reason !== 'Analysis')
    .slice(-EARLIER_DECISIONS_LIMIT);
  return [...earlier, ...all.slice(start)].slice(-HISTORY_LIMIT);
}
