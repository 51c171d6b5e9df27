import { describe, expect, it } from 'vitest';
import type { RolloutObject } from '../../../src/cli/rollout-object.js';
import type { EventRecord } from '../../../src/dashboard/markers.js';
import { actionChoices, rolloutRow } from '../../../src/dashboard/rollout-row.js';
import { MAX_EVENTS, timelineOf } from '../../../src/dashboard/timeline.js';
import { releaseHistory, rolloutObject } from '../../support/dashboard-fixtures.js';

const start = Date.UTC(2025, 0, 1, 12, 0, 0);
const story = {
  start,
  intervalMs: 30_000,
  revision: '5f7c9d',
  threshold: 3,
  stepWeight: 10,
  maxWeight: 50,
  latencies: [80, 90, 100, 110, 120, 130],
};

function withStatus(status: Record<string, unknown>): RolloutObject {
  return {
    ...rolloutObject('prod', 'checkout'),
    metadata: {
      name: 'checkout',
      namespace: 'prod',
      uid: 'u1',
      creationTimestamp: '2025-01-01T11:00:00Z',
    },
    status,
  };
}

const rolledBack = () => {
  const { history, status } = releaseHistory({ ...story, successRates: [100, 99.5, 71, 68, 70] });
  return withStatus({ ...status, history });
};

describe('timelineOf a rolled-back release', () => {
  const now = start + 10 * 60_000;
  const timeline = timelineOf(rolledBack(), [], now);

  it('plots each interval of a metric, the failed ones below the accepted minimum', () => {
    const successRate = timeline.metrics.find((m) => m.metric === 'request-success-rate');
    expect(successRate?.min).toBe(99);
    expect(successRate?.points.map((p) => [p.value, p.passed])).toEqual([
      [100, true],
      [99.5, true],
      [71, false],
      [68, false],
      [70, false],
    ]);
  });

  it('steps the weight as decided, back to 0 at the rollback, and holds it until now', () => {
    expect(timeline.weights.map((s) => s.weight)).toEqual([0, 10, 20, 0, 0]);
    expect(timeline.weights.at(-1)?.at).toBe(now);
  });

  it('marks the rollback, the failed checks and the weight steps, not the plain intervals', () => {
    expect(timeline.markers.map((m) => m.kind)).toEqual([
      'decision',
      'weight',
      'weight',
      'check',
      'check',
      'check',
      'rollback',
    ]);
  });

  it('spans the axis from the first entry to now and offers only retry', () => {
    expect(timeline.from).toBe(start);
    expect(timeline.to).toBe(now);
    expect(timeline.actions.filter((a) => a.allowed).map((a) => a.action)).toEqual(['retry']);
  });
});

describe('timelineOf without history', () => {
  it('has no weight steps nor points, but the Events, the last analysis and the conditions', () => {
    const rollout = withStatus({
      phase: 'Progressing',
      canaryWeight: 20,
      lastAnalysis: [{ metric: 'request-success-rate', value: 97, min: 99, passed: false }],
      conditions: [{ type: 'Promoted', status: 'Unknown', message: 'm'.repeat(900) }],
    });
    const events: EventRecord[] = [
      {
        at: start,
        firstAt: start,
        type: 'Warning',
        reason: 'FailedCheck',
        message: 'failed check 1 of 3',
        count: 1,
      },
    ];
    const timeline = timelineOf(rollout, events, start + 60_000);
    expect(timeline.weights).toEqual([]);
    expect(timeline.metrics.map((m) => [m.metric, m.points.length])).toEqual([
      ['request-success-rate', 0],
      ['request-duration', 0],
    ]);
    expect(timeline.markers.map((m) => [m.source, m.kind])).toEqual([['event', 'check']]);
    expect(timeline.lastAnalysis[0]?.value).toBe(97);
    expect(timeline.conditions[0]?.message?.length).toBe(512);
    expect(timeline.from).toBe(start);
  });

  it('keeps the newest Events only, and says how many it left out', () => {
    const events: EventRecord[] = Array.from({ length: MAX_EVENTS + 5 }, (_, i) => ({
      at: start + i * 1000,
      firstAt: start + i * 1000,
      type: 'Normal',
      reason: 'RoutingDrift',
      message: `drift ${i}`,
      count: 1,
    }));
    const timeline = timelineOf(withStatus({ phase: 'Progressing' }), events, start + 3_600_000);
    expect(timeline.markers).toHaveLength(MAX_EVENTS);
    expect(timeline.markers[0]?.message).toBe('drift 5');
    expect(timeline.eventsOmitted).toBe(5);
  });

  it('spans the last ten minutes of a rollout with nothing recorded', () => {
    const timeline = timelineOf(withStatus({}), [], start);
    expect(timeline.to - timeline.from).toBe(10 * 60_000);
  });
});

describe('rolloutRow and actionChoices', () => {
  it('shows what fledge status shows, with the default maxWeight and the creation time', () => {
    const row = rolloutRow(
      withStatus({
        phase: 'Progressing',
        canaryWeight: 20,
        failedChecks: 1,
        currentRevision: 'abc',
        message: 'advancing',
      }),
    );
    expect(row).toEqual({
      key: 'prod/checkout',
      namespace: 'prod',
      name: 'checkout',
      phase: 'Progressing',
      canaryWeight: 20,
      maxWeight: 50,
      failedChecks: 1,
      threshold: 3,
      revision: 'abc',
      createdAt: Date.parse('2025-01-01T11:00:00Z'),
      message: 'advancing',
    });
  });

  it('offers the actions the phase accepts and refuses the others, saying why', () => {
    const choices = actionChoices(
      withStatus({ phase: 'WaitingPromotion', currentRevision: 'abc' }),
    );
    expect(choices.filter((c) => c.allowed).map((c) => c.action)).toEqual([
      'promote',
      'abort',
      'pause',
    ]);
    const promote = choices.find((c) => c.action === 'promote');
    expect(promote?.message).toMatch(/fledge promotes revision abc now/);
    const retry = choices.find((c) => c.action === 'retry');
    expect(retry?.message).toMatch(/retry only applies to a Failed rollout/);
  });

  it('refuses every action of a rollout without status, pointing at the controller', () => {
    const choices = actionChoices(withStatus({}));
    expect(choices.every((c) => !c.allowed)).toBe(true);
    expect(choices[0]?.message).toMatch(/controller has not picked it up/);
  });
});
