import type { Phase } from '../../machines/context.js';
import type { Rollout } from '../api/types.js';
import type { Decision } from '../controller/decisions.js';
import type { Severity } from './severity.js';
import { bounded } from './text.js';

/** Room for a decision's message in every provider's body (Discord's embed description is 4096). */
export const MAX_TEXT = 2000;
/** Room for one field's value (Discord's embed field value is 1024). */
export const MAX_FIELD = 256;

/** A decision as the alerts see it: with the phase and progress it was taken in. */
export interface AlertNotice {
  decision: Decision;
  phase: Phase;
  revision: string;
  progress: { canaryWeight: number; iterations: number; failedChecks: number };
}

export interface AlertField {
  name: string;
  value: string;
}

/** One decision as every provider renders it. */
export interface AlertMessage {
  name: string;
  namespace: string;
  severity: Severity;
  /** The decision's Kubernetes Event type and reason. */
  type: 'Normal' | 'Warning';
  reason: string;
  /** The decision's message, printable and at most MAX_TEXT characters. */
  text: string;
  phase: string;
  revision: string;
  canaryWeight: number;
  failedChecks: number;
  iterations: number;
  /** What is rolled out: `Deployment/<name>` or `Services <stable> -> <canary>`. */
  target: string;
  /** Labelled facts shown under the text, in this order. */
  fields: AlertField[];
  /** When the decision was taken, ISO 8601. */
  timestamp: string;
}

/** How a provider is set up: the URL it posts to and, where the service reads them, channel and name. */
export interface ProviderSettings {
  address: string;
  channel: string;
  username: string;
}

/** The request a provider makes of a message. */
export interface RenderedAlert {
  url: string;
  body: unknown;
}

export type Render = (message: AlertMessage, settings: ProviderSettings) => RenderedAlert;

function targetOf(rollout: Rollout): string {
  const { targetRef, backends } = rollout.spec;
  if (targetRef) return `${targetRef.kind ?? 'Deployment'}/${targetRef.name}`;
  const name = (backend: { service: string; cluster?: string } | undefined) =>
    backend ? `${backend.service}${backend.cluster ? ` (${backend.cluster})` : ''}` : '?';
  return `Services ${name(backends?.stable)} -> ${name(backends?.canary)}`;
}

/** The message of one decision about `rollout`. Pure: the time comes in. */
export function alertMessage(
  rollout: Rollout,
  notice: AlertNotice,
  severity: Severity,
  now: Date,
): AlertMessage {
  const { decision, phase, revision, progress } = notice;
  const target = targetOf(rollout);
  const threshold = rollout.spec.analysis.threshold;
  const field = (name: string, value: string): AlertField => ({
    name,
    value: bounded(value, MAX_FIELD),
  });
  return {
    name: rollout.metadata.name ?? '',
    namespace: rollout.metadata.namespace ?? 'default',
    severity,
    type: decision.type,
    reason: decision.reason,
    text: bounded(decision.message, MAX_TEXT),
    phase,
    revision,
    canaryWeight: progress.canaryWeight,
    failedChecks: progress.failedChecks,
    iterations: progress.iterations,
    target,
    fields: [
      field('Target', target),
      field('Phase', phase),
      field('Canary weight', `${progress.canaryWeight}%`),
      field('Failed checks', `${progress.failedChecks} of ${threshold}`),
      field('Iterations', String(progress.iterations)),
      field('Revision', revision),
    ],
    timestamp: now.toISOString(),
  };
}

/** How a message is named in titles: `<name>.<namespace>`, as Flagger does. */
export function titleOf(message: AlertMessage): string {
  return `${message.name}.${message.namespace}`;
}

/** One line for notifications and previews. */
export function summaryOf(message: AlertMessage): string {
  return bounded(`${titleOf(message)}: ${message.text}`, MAX_TEXT);
}
