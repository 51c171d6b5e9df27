import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../src/dashboard/history.js';
import {
  clip,
  type EventRecord,
  eventRecordOf,
  isRecordedIn,
  markerKind,
  mergeMarkers,
} from '../../../src/dashboard/markers.js';

const entry = (
  at: number,
  reason: string,
  message: string,
  phase = 'Progressing',
): HistoryEntry => ({
  at,
  revision: 'abc',
  phase,
  canaryWeight: 10,
  failedChecks: 0,
  type: 'Normal',
  reason,
  message,
});

const event = (
  at: number,
  reason: string,
  message: string,
  extra: Partial<EventRecord> = {},
): EventRecord => ({
  at,
  firstAt: at,
  type: 'Normal',
  reason,
  message,
  count: 1,
  ...extra,
});

describe('markerKind', () => {
  it.each([
    [
      'ThresholdReached',
      'rolled back revision abc: failed checks reached the threshold',
      'Warning',
      undefined,
      'rollback',
    ],
    ['ThresholdReached', 'anything', 'Warning', 'Failed', 'rollback'],
    [
      'ThresholdReached',
      'paused at weight 20%: ... (onFailure: pause)',
      'Warning',
      'Paused',
      'warning',
    ],
    [
      'ThresholdReached',
      'paused at weight 20%: ... (onFailure: pause)',
      'Warning',
      undefined,
      'warning',
    ],
    ['Aborted', 'rolled back revision abc: aborted by request', 'Warning', undefined, 'rollback'],
    ['Failed', 'rolled back revision abc: x', 'Warning', undefined, 'rollback'],
    ['Succeeded', 'promoted revision abc', 'Normal', undefined, 'promotion'],
    ['ManualPromote', 'promote requested', 'Normal', undefined, 'promotion'],
    ['FailedCheck', 'failed check 1 of 3', 'Warning', 'Progressing', 'check'],
    ['WeightChanged', 'canary weight 10% -> 20%', 'Normal', undefined, 'weight'],
    [
      'Progressing',
      'confirm-promotion gate is closed; asking again in 30s',
      'Normal',
      undefined,
      'gate',
    ],
    ['Progressing', 'rollout webhooks failed: 500', 'Warning', undefined, 'webhook'],
    ['ManualPause', 'pause requested', 'Normal', undefined, 'action'],
    ['ActionRefused', 'retry refused in phase Progressing', 'Warning', undefined, 'action'],
    ['RoutingDrift', 'changed by someone else', 'Warning', undefined, 'warning'],
    ['Initialized', 'created the primary', 'Normal', undefined, 'decision'],
  ])('%s "%s" (%s, phase %s) is a %s mark', (reason, message, type, phase, kind) => {
    expect(markerKind(reason, message, type, phase)).toBe(kind);
  });
});

describe('eventRecordOf', () => {
  it('takes the last time, the first time and the count of an aggregated Event', () => {
    const record = eventRecordOf({
      type: 'Warning',
      reason: 'FailedCheck',
      message: 'failed',
      count: 3,
      firstTimestamp: '2025-01-01T00:00:00Z',
      lastTimestamp: '2025-01-01T00:01:00Z',
    });
    expect(record).toEqual({
      at: Date.parse('2025-01-01T00:01:00Z'),
      firstAt: Date.parse('2025-01-01T00:00:00Z'),
      type: 'Warning',
      reason: 'FailedCheck',
      message: 'failed',
      count: 3,
    });
  });

  it('falls back to eventTime, then to the creation time', () => {
    expect(eventRecordOf({ eventTime: '2025-01-01T00:00:05.000000Z' })?.at).toBe(
      Date.parse('2025-01-01T00:00:05Z'),
    );
    expect(eventRecordOf({ metadata: { creationTimestamp: '2025-01-01T00:00:07Z' } })?.at).toBe(
      Date.parse('2025-01-01T00:00:07Z'),
    );
    expect(eventRecordOf({ reason: 'x' })).toBeUndefined();
  });
});

describe('isRecordedIn', () => {
  const history = [entry(10_000, 'WeightChanged', 'canary weight 0% -> 10%')];

  it('finds the Event of a decision history holds, stamped a little apart', () => {
    expect(isRecordedIn(event(11_500, 'WeightChanged', 'canary weight 0% -> 10%'), history)).toBe(
      true,
    );
  });

  it('keeps Events of another reason, another message or another time', () => {
    expect(isRecordedIn(event(10_000, 'Progressing', 'canary weight 0% -> 10%'), history)).toBe(
      false,
    );
    expect(isRecordedIn(event(10_000, 'WeightChanged', 'canary weight 10% -> 20%'), history)).toBe(
      false,
    );
    expect(isRecordedIn(event(60_000, 'WeightChanged', 'canary weight 0% -> 10%'), history)).toBe(
      false,
    );
  });

  it('matches a repeated Event whose first occurrence is the entry', () => {
    const repeated = event(90_000, 'WeightChanged', 'canary weight 0% -> 10%', {
      firstAt: 10_000,
      count: 2,
    });
    expect(isRecordedIn(repeated, history)).toBe(true);
  });

  it('compares only the start of long messages: history keeps 512 characters, Events 1 KiB', () => {
    const long = 'x'.repeat(900);
    const held = [entry(10_000, 'FailedCheck', long.slice(0, 512))];
    expect(isRecordedIn(event(10_000, 'FailedCheck', long), held)).toBe(true);
  });
});

describe('mergeMarkers', () => {
  it('keeps history, adds only the Events history lacks, oldest first, analysis intervals left to the plots', () => {
    const history = [
      entry(1_000, 'Progressing', 'new revision abc'),
      entry(2_000, 'Analysis', 'interval 1 passed'),
      entry(3_000, 'WeightChanged', 'canary weight 0% -> 10%'),
    ];
    const events = [
      event(3_200, 'WeightChanged', 'canary weight 0% -> 10%'),
      event(2_500, 'Progressing', 'confirm-traffic-increase gate is closed'),
    ];
    const markers = mergeMarkers(history, events);
    expect(markers.map((m) => [m.at, m.reason, m.source, m.kind])).toEqual([
      [1_000, 'Progressing', 'history', 'decision'],
      [2_500, 'Progressing', 'event', 'gate'],
      [3_000, 'WeightChanged', 'history', 'weight'],
    ]);
  });

  it('clips messages for the page', () => {
    const [marker] = mergeMarkers([], [event(1, 'X', 'y'.repeat(2000))]);
    expect(marker?.message.length).toBe(512);
    expect(clip('short')).toBe('short');
  });
});
