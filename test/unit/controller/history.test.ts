import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../src/api/types.js';
import {
  appendHistory,
  EARLIER_DECISIONS_LIMIT,
  HISTORY_LIMIT,
} from '../../../src/controller/history.js';

let clock = 0;

function entry(revision: string, reason: string): HistoryEntry {
  clock += 1_000;
  return {
    at: new Date(clock).toISOString(),
    revision,
    phase: 'Progressing',
    canaryWeight: 10,
    failedChecks: reason === 'FailedCheck' ? 1 : 0,
    type: reason === 'FailedCheck' ? 'Warning' : 'Normal',
    reason,
    message: `${reason} of ${revision}`,
    ...(reason === 'Analysis' || reason === 'FailedCheck'
      ? { analysis: [{ metric: 'request-success-rate', value: 90, min: 99, passed: false }] }
      : {}),
  };
}

/** A release as the runner records one: a decision, then an analysis and a step, `steps` times. */
function release(revision: string, steps: number): HistoryEntry[] {
  const entries = [entry(revision, 'Progressing')];
  for (let i = 0; i < steps; i++) {
    entries.push(entry(revision, 'Analysis'), entry(revision, 'WeightChanged'));
  }
  return entries;
}

const appendAll = (...releases: HistoryEntry[][]): HistoryEntry[] =>
  releases.flat().reduce<HistoryEntry[]>((history, e) => appendHistory(history, [e]), []);

describe('appendHistory', () => {
  it('keeps the current release whole, analysis intervals and all', () => {
    const current = release('r1', 5);
    expect(appendAll(current)).toEqual(current);
  });

  it('keeps the decisions of earlier releases, not their passing analysis intervals', () => {
    const failed = [...release('r1', 2), entry('r1', 'FailedCheck'), entry('r1', 'Failed')];
    const next = release('r2', 1);
    const history = appendAll(failed, next);
    expect(history.map((e) => `${e.revision} ${e.reason}`)).toEqual([
      'r1 Progressing',
      'r1 WeightChanged',
      'r1 WeightChanged',
      'r1 FailedCheck',
      'r1 Failed',
      'r2 Progressing',
      'r2 Analysis',
      'r2 WeightChanged',
    ]);
    // Why r1 failed stays readable: the failed interval's values with it.
    expect(history[3]?.analysis).toHaveLength(1);
  });

  it('keeps at most EARLIER_DECISIONS_LIMIT entries of earlier releases, the newest', () => {
    const earlier = [release('r1', 10), release('r2', 10), release('r3', 10)];
    const history = appendAll(...earlier, release('r4', 2));
    const before = history.filter((e) => e.revision !== 'r4');
    expect(before).toHaveLength(EARLIER_DECISIONS_LIMIT);
    expect(before.at(-1)).toEqual(earlier[2]?.at(-1));
    expect(before.every((e) => e.reason !== 'Analysis')).toBe(true);
    expect(history.filter((e) => e.revision === 'r4')).toHaveLength(5);
  });

  it('cuts a release longer than the limit from its oldest end', () => {
    const long = release('r1', HISTORY_LIMIT);
    const history = appendAll(long);
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history.at(-1)).toEqual(long.at(-1));
  });

  it('reshapes a history an older controller wrote (64 entries of any release) once', () => {
    const older = [release('r1', 10), release('r2', 10), release('r3', 10)].flat().slice(-64);
    const reshaped = appendHistory(older, []);
    expect(reshaped.filter((e) => e.revision === 'r3')).toEqual(
      older.filter((e) => e.revision === 'r3'),
    );
    expect(reshaped.filter((e) => e.revision !== 'r3')).toHaveLength(EARLIER_DECISIONS_LIMIT);
    expect(appendHistory(reshaped, [])).toEqual(reshaped);
  });

  it('changes nothing when nothing is appended to its own answer', () => {
    for (const history of [
      [],
      appendAll(release('r1', 3)),
      appendAll(release('r1', 10), release('r2', 2), release('r1', 1)),
      appendAll(release('r1', HISTORY_LIMIT)),
    ]) {
      expect(appendHistory(history, [])).toEqual(history);
    }
  });

  it('takes only the newest run of a revision as the current release, in order', () => {
    // A revert: r1's template again after r2. The first r1 release is an earlier one.
    const history = appendAll(release('r1', 1), release('r2', 1), release('r1', 1));
    expect(history.map((e) => `${e.revision} ${e.reason}`)).toEqual([
      'r1 Progressing',
      'r1 WeightChanged',
      'r2 Progressing',
      'r2 WeightChanged',
      'r1 Progressing',
      'r1 Analysis',
      'r1 WeightChanged',
    ]);
  });
});
