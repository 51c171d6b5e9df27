import type { GateType, NotifyingWebhookType } from '../../machines/effects.js';
import { callWebhook, type WebhookCallOptions, type WebhookCallResult } from './call.js';
import {
  eventPayload,
  type RolloutContext,
  type RolloutEvent,
  type Webhook,
  type WebhookType,
  webhookPayload,
} from './payload.js';

/** Flagger's limit on an event webhook call, used when the webhook sets no timeout. */
const EVENT_WEBHOOK_TIMEOUT_MS = 5000;

function ofType(hooks: readonly Webhook[], type: WebhookType): Webhook[] {
  return hooks.filter((hook) => hook.type === type);
}

/** Runs the step's webhooks in order; the first failure fails the step and skips the rest. */
export async function runWebhooks(
  hooks: readonly Webhook[],
  type: NotifyingWebhookType,
  rollout: RolloutContext,
  options: WebhookCallOptions = {},
): Promise<{ ok: boolean; message: string }> {
  const chosen = ofType(hooks, type);
  for (const hook of chosen) {
    const result = await callWebhook(hook, webhookPayload(hook, rollout), options);
    if (!result.ok) return { ok: false, message: result.message };
  }
  return {
    ok: true,
    message:
      chosen.length === 0
        ? `no ${type} webhooks`
        : `${type} webhooks succeeded: ${chosen.map((h) => h.name).join(', ')}`,
  };
}

/**
 * Asks a gate. A confirm-* gate is open when every one of its webhooks answers 2xx (none
 * declared: open). A rollback gate is open, meaning "roll back now", when any of its webhooks
 * answers 2xx (none declared: closed).
 */
export async function checkGate(
  hooks: readonly Webhook[],
  type: GateType,
  rollout: RolloutContext,
  options: WebhookCallOptions = {},
): Promise<{ open: boolean; message: string }> {
  const chosen = ofType(hooks, type);
  if (type === 'rollback') {
    for (const hook of chosen) {
      const result = await callWebhook(hook, webhookPayload(hook, rollout), options);
      if (result.ok)
        return { open: true, message: `rollback gate ${hook.name} is open: ${result.message}` };
    }
    return {
      open: false,
      message: chosen.length === 0 ? 'no rollback gates' : 'every rollback gate is closed',
    };
  }
  for (const hook of chosen) {
    const result = await callWebhook(hook, webhookPayload(hook, rollout), options);
    if (!result.ok)
      return { open: false, message: `${type} gate ${hook.name} is closed: ${result.message}` };
  }
  return {
    open: true,
    message:
      chosen.length === 0
        ? `no ${type} gates`
        : `${type} gates open: ${chosen.map((h) => h.name).join(', ')}`,
  };
}

/**
 * Sends an event to every `event` webhook, all at once, as Flagger does. Meant to be fired
 * and forgotten: it never rejects, and failures are only logged and counted.
 */
export async function sendEvent(
  hooks: readonly Webhook[],
  rollout: RolloutContext,
  event: RolloutEvent,
  options: WebhookCallOptions & { now?: Date } = {},
): Promise<WebhookCallResult[]> {
  const payload = eventPayload(rollout, event, options.now ?? new Date());
  return Promise.all(
    ofType(hooks, 'event').map((hook) =>
      callWebhook(hook, payload, {
        defaultTimeoutMs: EVENT_WEBHOOK_TIMEOUT_MS,
        ...options,
      }),
    ),
  );
}
