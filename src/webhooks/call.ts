import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { parseDuration } from '../api/duration.js';
import { authorizationFor, type WebhookAuth } from './auth.js';
import { type HttpAnswer, postJson, UnsendableError } from './http.js';
import type { Webhook, WebhookPayload, WebhookType } from './payload.js';
import { backoffMs, isRetryableStatus } from './retry.js';

const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookCallOptions {
  /**
   * HTTP forward proxy for webhook urls (the playground's FLEDGE_MESH_PROXY). Undefined: read
   * FLEDGE_MESH_PROXY; empty: none. Loopback urls never go through it.
   */
  proxy?: string;
  logger?: Logger;
  /** Where `fledge_webhook_calls_total` is registered; none = not counted. */
  registry?: Registry;
  signal?: AbortSignal;
  /** Used when the webhook sets no timeout. */
  defaultTimeoutMs?: number;
  /** The loadtester's shared token, sent only to the loadtester's origins (see loadtesterAuth). */
  auth?: WebhookAuth;
}

/** How the controller delivers webhooks: through which proxy, with which token for the loadtester. */
export type WebhookDelivery = Required<Pick<WebhookCallOptions, 'proxy'>> &
  Pick<WebhookCallOptions, 'auth'>;

export interface WebhookCallResult {
  ok: boolean;
  /** The last HTTP status, when there was an answer. */
  status?: number;
  message: string;
  durationMs: number;
  attempts: number;
}

const CALLS_TOTAL = 'fledge_webhook_calls_total';

function callsCounter(registry: Registry): Counter<'type' | 'result'> {
  const existing = registry.getSingleMetric(CALLS_TOTAL);
  if (existing) return existing as Counter<'type' | 'result'>;
  return new Counter({
    name: CALLS_TOTAL,
    help: 'Webhook calls by webhook type and result (success, failure); retries count as one call.',
    labelNames: ['type', 'result'],
    registers: [registry],
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/** The proxy a call goes through, if any; throws a readable error for a malformed setting. */
export function proxyFor(url: URL, setting: string | undefined): URL | undefined {
  const proxy = setting ?? process.env.FLEDGE_MESH_PROXY ?? '';
  if (proxy === '' || isLoopback(url)) return undefined;
  // Like curl -x, a bare host:port means an http proxy.
  const parsed = URL.parse(proxy.includes('://') ? proxy : `http://${proxy}`);
  if (parsed?.protocol !== 'http:' || parsed.hostname === '') {
    throw new UnsendableError(
      `the mesh proxy "${proxy}" is not an http://host:port url; fix FLEDGE_MESH_PROXY or unset it`,
    );
  }
  return parsed;
}

function networkCause(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'could not connect (ECONNREFUSED)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `could not resolve its host (${code})`;
  if (code === 'ECONNRESET') return 'closed the connection before answering (ECONNRESET)';
  return `could not be reached (${code ?? message ?? String(error)})`;
}

function networkFix(cause: string, viaProxy: boolean): string {
  if (cause.includes('resolve') && !viaProxy) {
    return "check the webhook's url; outside the cluster, set FLEDGE_MESH_PROXY so cluster names resolve";
  }
  return "check the webhook's url and that its receiver runs";
}

const GATE_TYPES = new Set<WebhookType>([
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'rollback',
]);

function statusFix(type: WebhookType, status: number): string {
  if (status === 401) {
    return "the receiver wants a token: for fledge's loadtester, give the controller the loadtester's FLEDGE_LOADTESTER_TOKEN";
  }
  if (status === 404 || status === 405) return "check the webhook's url and path";
  if (status === 429) return "the receiver is busy; its answer is in the controller's log";
  if (GATE_TYPES.has(type) && status >= 400 && status < 500) {
    return 'the gate opens when its receiver answers 2xx (for example after an approval)';
  }
  if (status >= 400 && status < 500) {
    return "check the webhook's url and metadata against what its receiver expects; its answer is in the controller's log";
  }
  return "check the receiver's logs";
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * A status and its standard reason phrase: what the status message says of an answer. The
 * receiver's own words (its reason phrase, its body) never go there, because anyone who can
 * read the Rollout reads the status, and a webhook may point at any internal endpoint.
 */
function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `${status} ${reason}` : String(status);
}

/** The start of an answer's body for the controller's log: one line, printable, 200 characters. */
function answerExcerpt(body: string): string {
  return body
    .replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

type Attempt = { answer: HttpAnswer } | { cause: string; timedOut: boolean };

function is2xx(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Sends until a 2xx, an answer not worth retrying, the last allowed attempt, or the end of
 * the budget. Each attempt may use whatever budget is left.
 */
async function sendWithRetries(
  send: (signal: AbortSignal) => Promise<HttpAnswer>,
  limits: { maxAttempts: number; deadline: number; signal: AbortSignal | undefined },
): Promise<{ last: Attempt | undefined; attempts: number }> {
  let last: Attempt | undefined;
  let attempts = 0;
  while (attempts < limits.maxAttempts && !limits.signal?.aborted) {
    const remaining = limits.deadline - performance.now();
    if (remaining <= 0) break;
    attempts += 1;
    const budget = AbortSignal.timeout(Math.ceil(remaining));
    try {
      last = {
        answer: await send(limits.signal ? AbortSignal.any([limits.signal, budget]) : budget),
      };
      if (is2xx(last.answer.status) || !isRetryableStatus(last.answer.status)) break;
    } catch (error) {
      if (error instanceof UnsendableError) throw error;
      last = { cause: networkCause(error), timedOut: budget.aborted };
    }
    if (attempts < limits.maxAttempts) {
      const pause = backoffMs(attempts - 1, limits.deadline - performance.now());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
  return { last, attempts };
}

/**
 * POSTs Flagger's payload to one webhook. A 2xx is success; a network error, 429 or 5xx is
 * retried (`retries` times, with backoff) while the timeout budget lasts. Never throws.
 */
export async function callWebhook(
  hook: Webhook,
  payload: WebhookPayload,
  options: WebhookCallOptions = {},
): Promise<WebhookCallResult> {
  const started = performance.now();
  const who = `webhook ${hook.name} (${hook.type}) at ${hook.url}`;
  const finish = (
    ok: boolean,
    message: string,
    attempts: number,
    status?: number,
    answer?: HttpAnswer,
  ) => {
    const result: WebhookCallResult = {
      ok,
      message,
      attempts,
      durationMs: Math.round(performance.now() - started),
      ...(status === undefined ? {} : { status }),
    };
    if (options.registry) {
      callsCounter(options.registry).inc({ type: hook.type, result: ok ? 'success' : 'failure' });
    }
    const logged = { webhook: hook.name, type: hook.type, ...result };
    if (ok) options.logger?.debug(logged, message);
    else {
      const excerpt = answer === undefined ? '' : answerExcerpt(answer.body);
      options.logger?.warn(excerpt === '' ? logged : { ...logged, answer: excerpt }, message);
    }
    return result;
  };

  const timeoutMs =
    hook.timeout === undefined
      ? (options.defaultTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS)
      : parseDuration(hook.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    return finish(
      false,
      `${who}: timeout "${hook.timeout}" is not a duration; write it like 10s or 1m`,
      0,
    );
  }
  let url: URL;
  let proxy: URL | undefined;
  try {
    url = new URL(hook.url);
    proxy = proxyFor(url, options.proxy);
  } catch (error) {
    const reason =
      error instanceof UnsendableError
        ? error.message
        : `"${hook.url}" is not a url; write it like http://service.namespace/`;
    return finish(false, `${who}: ${reason}`, 0);
  }
  const via = proxy ? ` through the mesh proxy ${proxy.origin}` : '';
  const authorization = authorizationFor(url, options.auth);
  const body = JSON.stringify(payload);
  let outcome: Awaited<ReturnType<typeof sendWithRetries>>;
  try {
    outcome = await sendWithRetries(
      (signal) =>
        postJson(url, body, {
          signal,
          ...(proxy ? { proxy } : {}),
          ...(authorization === undefined ? {} : { authorization }),
        }),
      {
        maxAttempts: 1 + Math.max(0, Math.floor(hook.retries ?? 0)),
        deadline: started + timeoutMs,
        signal: options.signal,
      },
    );
  } catch (error) {
    return finish(false, `${who}: ${(error as Error).message}`, 0);
  }

  const { last, attempts } = outcome;
  const tries = plural(attempts, 'attempt');
  const answer = last && 'answer' in last ? last.answer : undefined;
  if (answer && is2xx(answer.status)) {
    return finish(true, `${who}${via} answered ${answer.status}`, attempts, answer.status);
  }
  if (options.signal?.aborted) {
    return finish(false, `${who}${via} was cancelled after ${tries}`, attempts);
  }
  if (answer) {
    return finish(
      false,
      `${who}${via} answered ${statusLine(answer.status)} (${tries}); ${statusFix(hook.type, answer.status)}`,
      attempts,
      answer.status,
      answer,
    );
  }
  if (last === undefined || !('cause' in last) || last.timedOut) {
    return finish(
      false,
      `${who}${via} did not answer within its timeout of ${seconds(timeoutMs)} (${tries}); raise the webhook's timeout or check its receiver`,
      attempts,
    );
  }
  return finish(
    false,
    `${who}${via} ${last.cause} (${tries}); ${networkFix(last.cause, proxy !== undefined)}`,
    attempts,
  );
}
