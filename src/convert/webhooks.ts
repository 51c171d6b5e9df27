import { webhookTypes } from '../../machines/plan.js';
import { formatDuration, parseGoDuration } from '../api/duration.js';
import type { WebhookSpec } from '../api/types.js';
import { parseLoadMetadata } from '../loadtester/metadata.js';
import type { Webhook } from '../webhooks/payload.js';
import type { ConversionReport, FlaggerWebhook } from './flagger-types.js';
import { convertHey } from './hey.js';

const WEBHOOK_TYPES: readonly WebhookSpec['type'][] = webhookTypes;

const MAPPED = new Set(['name', 'type', 'url', 'timeout', 'retries', 'metadata']);

/** Flagger's loadtester by its usual Service name; its gates and load runs have fledge counterparts. */
function isFlaggerLoadtester(url: URL): boolean {
  return url.hostname.split('.')[0] === 'flagger-loadtester';
}

/**
 * One Flagger webhook, or undefined: with a note when it cannot work with fledge (a shell
 * command other than hey), with a problem when it is malformed (a type Flagger does not have,
 * a URL or timeout that is none, load the loadtester refuses).
 * Calls to Flagger's loadtester go to fledge's (same gate paths, autocannon instead of cmd).
 */
export function convertWebhook(
  hook: FlaggerWebhook,
  path: string,
  loadtesterUrl: string,
  report: ConversionReport,
): Webhook | undefined {
  const note = (at: string, kind: 'dropped' | 'changed', message: string) =>
    report.notes.push({ path: at, kind, message });
  const problem = (at: string, message: string) => {
    report.problems.push({ path: at, message });
    return undefined;
  };
  const name = hook.name ?? `webhook-${path.replace(/\D/g, '')}`;
  const type = (hook.type ?? 'rollout') as WebhookSpec['type'];
  if (!WEBHOOK_TYPES.includes(type)) {
    return problem(
      `${path}.type`,
      `${JSON.stringify(hook.type)} is not a webhook type (Flagger and fledge have ${WEBHOOK_TYPES.join(', ')})`,
    );
  }
  let url: URL;
  try {
    url = new URL(hook.url ?? '');
  } catch {
    return problem(`${path}.url`, `${JSON.stringify(hook.url ?? '')} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return problem(`${path}.url`, `${JSON.stringify(hook.url)} is not an http:// or https:// URL`);
  }
  for (const field of Object.keys(hook)) {
    if (!MAPPED.has(field))
      note(`${path}.${field}`, 'dropped', `webhook ${name}: ${field} has no counterpart`);
  }

  const metadata = Object.fromEntries(
    Object.entries(hook.metadata ?? {}).map(([k, v]) => [k, String(v)]),
  );
  const command = metadata.cmd;
  let converted: Record<string, string> = metadata;
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
  } else if (metadata.type === 'autocannon') {
    const load = parseLoadMetadata(metadata);
    if (!load.ok) {
      return problem(
        `${path}.${load.problem.field}`,
        `the loadtester would refuse this load: ${load.problem.message}`,
      );
    }
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
    const ms = parseGoDuration(hook.timeout);
    if (ms === undefined || !Number.isSafeInteger(Math.round(ms))) {
      return problem(
        `${path}.timeout`,
        `${JSON.stringify(hook.timeout)} is not a duration such as 10s or 1m`,
      );
    }
    if (ms < 1000) {
      note(
        `${path}.timeout`,
        'changed',
        `webhook ${name}: timeout ${hook.timeout} became 1s, the shortest fledge waits`,
      );
      webhook.timeout = '1s';
    } else webhook.timeout = formatDuration(Math.round(ms));
  }
  if (hook.retries !== undefined) {
    if (hook.retries < 0)
      return problem(`${path}.retries`, `${hook.retries} is not a count of retries`);
    webhook.retries = hook.retries;
  }
  if (Object.keys(converted).length > 0) webhook.metadata = converted;
  return webhook;
}
