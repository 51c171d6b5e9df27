import type { Phase } from '../../machines/context.js';
import type { Decision } from '../controller/decisions.js';

/** An alert's severity, as Flagger's `analysis.alerts[].severity` names it. */
export const severities = ['info', 'warn', 'error'] as const;
export type Severity = (typeof severities)[number];

/**
 * Flagger's filter: an alert at `info` hears every message, at `warn` warnings and errors, at
 * `error` errors only.
 */
export function hears(alert: Severity, message: Severity): boolean {
  return severities.indexOf(message) >= severities.indexOf(alert);
}

/**
 * The decisions a person should hear of, by their Event reason. Steps of a healthy release
 * (weight changes, Progressing, Promoting, Finalising) and refused manual actions are left
 * out: the Events and the history have them.
 */
const severityByReason: Readonly<Record<string, Severity>> = {
  Initialized: 'info',
  Waiting: 'info',
  Succeeded: 'info',
  PauseRequested: 'info',
  WaitingPromotion: 'warn',
  Paused: 'warn',
  NoData: 'warn',
  FailedCheck: 'warn',
  RoutingDrift: 'warn',
  Aborted: 'warn',
  RollbackGateOpen: 'warn',
  ThresholdReached: 'error',
  ProgressDeadlineExceeded: 'error',
  TargetLost: 'error',
  Failed: 'error',
};

/** Phases where a step that keeps failing leaves traffic between two versions. */
const stuckWithTraffic: readonly Phase[] = ['Promoting', 'Finalising', 'Failed'];

/** How severe a decision is for the alerts, taken in `phase`; undefined: not alerted. */
export function severityOf(decision: Decision, phase: Phase): Severity | undefined {
  if (decision.reason === 'Retrying') return stuckWithTraffic.includes(phase) ? 'error' : 'warn';
  if (decision.reason.startsWith('Manual')) return 'info';
  return severityByReason[decision.reason];
}
