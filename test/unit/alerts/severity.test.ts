import { describe, expect, it } from 'vitest';
import type { Phase } from '../../../machines/context.js';
import { hears, type Severity, severityOf } from '../../../src/alerts/severity.js';

describe('hears: Flagger’s severity filter', () => {
  it.each([
    ['info', 'info', true],
    ['info', 'warn', true],
    ['info', 'error', true],
    ['warn', 'info', false],
    ['warn', 'warn', true],
    ['warn', 'error', true],
    ['error', 'info', false],
    ['error', 'warn', false],
    ['error', 'error', true],
  ] as const)('an alert at %s hears a %s message: %s', (alert, sent, heard) => {
    expect(hears(alert, sent)).toBe(heard);
  });
});

describe('severityOf a decision', () => {
  it.each<[string, Phase, Severity | undefined]>([
    ['Initialized', 'Initialized', 'info'],
    ['Waiting', 'Waiting', 'info'],
    ['Succeeded', 'Succeeded', 'info'],
    ['PauseRequested', 'Paused', 'info'],
    ['ManualPromote', 'Progressing', 'info'],
    ['WaitingPromotion', 'WaitingPromotion', 'warn'],
    ['NoData', 'Paused', 'warn'],
    ['FailedCheck', 'Progressing', 'warn'],
    ['RoutingDrift', 'Progressing', 'warn'],
    ['Aborted', 'Failed', 'warn'],
    ['RollbackGateOpen', 'Failed', 'warn'],
    ['ThresholdReached', 'Failed', 'error'],
    ['ThresholdReached', 'Paused', 'error'],
    ['ProgressDeadlineExceeded', 'Failed', 'error'],
    ['TargetLost', 'Failed', 'error'],
    ['Retrying', 'Initializing', 'warn'],
    ['Retrying', 'Waiting', 'warn'],
    ['Retrying', 'Promoting', 'error'],
    ['Retrying', 'Finalising', 'error'],
    ['Retrying', 'Failed', 'error'],
    ['WeightChanged', 'Progressing', undefined],
    ['Progressing', 'Progressing', undefined],
    ['Promoting', 'Promoting', undefined],
    ['ActionRefused', 'Succeeded', undefined],
  ])('%s in %s: %s', (reason, phase, severity) => {
    expect(severityOf({ type: 'Normal', reason, message: '' }, phase)).toBe(severity);
  });
});
