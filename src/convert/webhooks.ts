import { webhookTypes } from '../../machines/plan.js';
import { formatDuration, parseGoDuration } from '../api/duration.js';
import type { WebhookSpec } from '../api/types.js';
import type { Webhook } from '../webhooks/payload.js';
import type { ConversionNote, FlaggerWebhook } from './flagger-types.js';
import { convertHey } from './hey.js';

const WEBHOOK_TYPES: readonly WebhookSpec['type'][] = webhookTypes;

const MAPPED = new Set(['name', 'type', 'url', 'timeout', 'retries', 'metadata']);

/** Flagger's loadtester by its usual Service name; its gates and load runs have fledge counterparts. */
function isFlaggerLoadtester(url: URL): boolean {
  return url.hostname.split('.')[0] === 'flagger-loadtester';
}

/**
 * One Flagger webhook, or undefined when it cannot work with fledge (a shell command).
 * Calls to Flagger's loadtester go to fledge's (same gate paths, autocannon instead of cmd).
 */
export function convertWebhook(
  hook: FlaggerWebhook,
  path: string,
  loadtesterUrl: string,
  notes: ConversionNote[],
): Webhook | undefined {
  const note = (at: string, kind: ConversionNote['kind'], message: string) =>
    notes.push({ path: at, kind, message });
  const name = hook.name ?? `webhook-${path.replace(/\D/g, '')}`;
  const type = (hook.type ?? 'rollout') as WebhookSpec['type'];
  if (!WEBHOOK_TYPES.includes(type)) {
    note(
      `${path}.type`,
      'dropped',
      `webhook ${name}: type ${hook.type} has no counterpart (fledge has ${WEBHOOK_TYPES.join(', ')})`,
    );
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(hook.url ?? '');
  } catch {
    note(`${path}.url`, 'dropped', `webhook ${name}: "${hook.url ?? ''}" is not an absolute URL`);
    return undefined;
  }
  for (const field of Object.keys(hook)) {
    if (!MAPPED.has(field))
      note(`${path}.${field}`, 'dropped', `webhook ${name}: ${field} has no counterpart`);
  }

  const metadata = Object.fromEntries(
    Object.entries(hook.metadata ?? {}).map(([k, v]) => [k, String(v)]),
  );
  const command = metadata.cmd;
  let converted: Record<string, string> | undefined = metadata;
  if (command !== undefined) {
    const hey = convertHey(command);
    if (!hey.ok) {
      note(
        `${path}.metadata.cmd`,
        'dropped',
        `webhook ${name} was dropped: it runs the shell command \`${command}\`, and fledge's loadtester runs no commands (${hey.reason}); ` +
          'serve the check from an HTTP endpoint of your own (a 2xx answer passes) or generate load with metadata type: autocannon, url, rps, duration',
      );
      return undefined;
    }
    converted = hey.metadata;
    note(
      `${path}.metadata`,
      'changed',
      `webhook ${name}: type: cmd is not supported by fledge's loadtester; \`${command}\` became ` +
        `{${Object.entries(hey.metadata)
          .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
          .join(', ')}}` +
        (hey.notes.length > 0 ? `; ${hey.notes.join('; ')}` : ''),
    );
  }

  let target = url.toString();
  if (isFlaggerLoadtester(url)) {
    const replacement = new URL(url.pathname + url.search, loadtesterUrl).toString();
    note(
      `${path}.url`,
      'changed',
      `webhook ${name}: ${url} (Flagger's loadtester) became ${replacement} (fledge's)`,
    );
    target = replacement;
  }

  const webhook: Webhook = { name, type, url: target };
  if (hook.timeout !== undefined) {
    const ms = parseGoDuration(String(hook.timeout));
    if (ms === undefined || ms < 1000) {
      note(
        `${path}.timeout`,
        'dropped',
        `webhook ${name}: timeout ${hook.timeout} is not a duration of 1s or more; fledge's default 10s applies`,
      );
    } else {
      webhook.timeout = formatDuration(Math.round(ms));
    }
  }
  if (typeof hook.retries === 'number' && Number.isInteger(hook.retries) && hook.retries >= 0) {
    webhook.retries = hook.retries;
  }
  if (converted && Object.keys(converted).length > 0) webhook.metadata = converted;
  return webhook;
}
