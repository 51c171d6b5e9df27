import type { WebhookSpec } from '../api/types.js';

export type WebhookType = WebhookSpec['type'];

/** A webhook as a Rollout declares it; `WebhookSpec` from src/api fits it. */
export interface Webhook {
  name: string;
  type: WebhookType;
  url: string;
  /** Budget for the whole call, retries included (default 10s, as Flagger). */
  timeout?: string;
  /** Extra attempts after a network error, a 429 or a 5xx, within the timeout budget. */
  retries?: number;
  metadata?: Record<string, string>;
}

/** The Rollout a webhook is called about. */
export interface RolloutContext {
  name: string;
  namespace: string;
  phase: string;
  /** Identifies the canary's revision, so a gate can approve one revision and not the next. */
  checksum: string;
  /** Where the analysis stands: fledge's answer to fluxcd/flagger#613. */
  canaryWeight: number;
  iterations: number;
  failedChecks: number;
  /** The revision under analysis (the checksum's value, under a name that says so). */
  revision: string;
}

/**
 * Flagger's `CanaryWebhookPayload`, field for field, so existing gates and loadtesters work,
 * followed by fledge's progress fields, which receivers that do not know them ignore.
 */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum: string;
  metadata?: Record<string, string>;
  canaryWeight: number;
  iterations: number;
  failedChecks: number;
  revision: string;
}

export interface RolloutEvent {
  message: string;
  /** Kubernetes event type, as Flagger sends it in `eventType`. */
  type: 'Normal' | 'Warning';
}

function progressOf(rollout: RolloutContext) {
  const { canaryWeight, iterations, failedChecks, revision } = rollout;
  return { canaryWeight, iterations, failedChecks, revision };
}

export function webhookPayload(hook: Webhook, rollout: RolloutContext): WebhookPayload {
  const { name, namespace, phase, checksum } = rollout;
  return hook.metadata === undefined
    ? { name, namespace, phase, checksum, ...progressOf(rollout) }
    : {
        name,
        namespace,
        phase,
        checksum,
        metadata: { ...hook.metadata },
        ...progressOf(rollout),
      };
}

/** An `event` webhook's payload: Flagger puts the event in metadata, with a timestamp in ms. */
export function eventPayload(
  rollout: RolloutContext,
  event: RolloutEvent,
  now: Date,
): WebhookPayload {
  const { name, namespace, phase, checksum } = rollout;
  return {
    name,
    namespace,
    phase,
    checksum,
    metadata: {
      eventMessage: event.message,
      eventType: event.type,
      timestamp: String(now.getTime()),
    },
    ...progressOf(rollout),
  };
}
