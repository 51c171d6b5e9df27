import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callWebhook } from '../../../src/webhooks/call.js';
import type { Webhook } from '../../../src/webhooks/payload.js';
import { close, type Received, startReceiver } from '../../support/receiver.js';

const rollout = {
  name: 'api',
  namespace: 'prod',
  phase: 'Progressing',
  checksum: 'c0ffee',
  canaryWeight: 20,
  iterations: 3,
  failedChecks: 1,
  revision: 'c0ffee',
};
const direct = { proxy: '' };

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let flaky = 0;

beforeAll(async () => {
  receiver = await startReceiver({
    '/ok': (_req, res) => res.writeHead(200).end('done'),
    '/accepted': (_req, res) => res.writeHead(202).end(),
    '/forbidden': (_req, res) => res.writeHead(403, 'Forbidden').end('gate closed\n'),
    '/broken': (_req, res) =>
      res.writeHead(500, 'Internal Server Error').end('{"error":"load test crashed"}'),
    '/leaky': (_req, res) =>
      res
        .writeHead(400, 'db password is hunter2')
        .end(`{"secret": "internal token abc123",\n\u001b[31m"dump": "${'x'.repeat(5_000)}"}`),
    '/flaky': (_req, res) => {
      flaky += 1;
      if (flaky < 3) res.writeHead(503).end('warming up');
      else res.writeHead(200).end('ok');
    },
    '/slow': (_req, res) => {
      setTimeout(() => res.writeHead(200).end('late'), 3000);
    },
  });
});

afterAll(() => close(receiver?.server));

beforeEach(() => {
  receiver.received.length = 0;
  flaky = 0;
});

const hook = (path: string, extra: Partial<Webhook> = {}): Webhook => ({
  name: 'load-test',
  type: 'rollout',
  url: `${receiver.base}${path}`,
  ...extra,
});

function payloadOf(entry: Received | undefined) {
  return entry?.body;
}

describe('callWebhook against a local receiver', () => {
  it('POSTs Flagger’s JSON payload and succeeds on 200', async () => {
    const result = await callWebhook(
      hook('/ok', { metadata: { type: 'autocannon', rps: '50' } }),
      { ...rollout, metadata: { type: 'autocannon', rps: '50' } },
      direct,
    );
    expect(result).toMatchObject({ ok: true, status: 200, attempts: 1 });
    expect(result.message).toBe(`webhook load-test (rollout) at ${receiver.base}/ok answered 200`);
    const [entry] = receiver.received;
    expect(entry?.method).toBe('POST');
    expect(entry?.headers['content-type']).toBe('application/json');
    expect(payloadOf(entry)).toEqual({
      name: 'api',
      namespace: 'prod',
      phase: 'Progressing',
      checksum: 'c0ffee',
      metadata: { type: 'autocannon', rps: '50' },
      canaryWeight: 20,
      iterations: 3,
      failedChecks: 1,
      revision: 'c0ffee',
    });
  });

  it('takes any 2xx as success', async () => {
    expect((await callWebhook(hook('/accepted'), rollout, direct)).ok).toBe(true);
  });

  it('fails on a 4xx without retrying, naming the status', async () => {
    const result = await callWebhook(hook('/forbidden', { retries: 3 }), rollout, direct);
    expect(result).toMatchObject({ ok: false, status: 403, attempts: 1 });
    expect(result.message).toBe(
      `webhook load-test (rollout) at ${receiver.base}/forbidden answered 403 Forbidden (1 attempt); check the webhook's url and metadata against what its receiver expects; its answer is in the controller's log`,
    );
  });

  it('fails on a 5xx, naming the status', async () => {
    const result = await callWebhook(hook('/broken'), rollout, direct);
    expect(result).toMatchObject({ ok: false, status: 500, attempts: 1 });
    expect(result.message).toMatch(
      /answered 500 Internal Server Error \(1 attempt\); check the receiver's logs$/,
    );
  });

  it("keeps the receiver's words out of the message, and logs a short, printable excerpt", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const result = await callWebhook(hook('/leaky'), rollout, { ...direct, logger });
    expect(result.message).toBe(
      `webhook load-test (rollout) at ${receiver.base}/leaky answered 400 Bad Request (1 attempt); check the webhook's url and metadata against what its receiver expects; its answer is in the controller's log`,
    );
    expect(result.message).not.toMatch(/hunter2|abc123|dump/);
    const answer = String(lines[0]?.answer);
    expect(answer).toMatch(/^\{"secret": "internal token abc123", \[31m"dump": "x+$/);
    expect(answer).toHaveLength(200);
  });

  it('sends the loadtester token to the loadtester origins only', async () => {
    const auth = { token: 'f1e2d3c4b5a6978812345678abcdef00', origins: new Set([receiver.base]) };
    await callWebhook(hook('/ok'), rollout, { ...direct, auth });
    const other = { ...auth, origins: new Set(['http://fledge-loadtester.fledge-system']) };
    await callWebhook(hook('/ok'), rollout, { ...direct, auth: other });
    await callWebhook(hook('/ok'), rollout, direct);
    expect(receiver.received.map((entry) => entry.headers.authorization)).toEqual([
      'Bearer f1e2d3c4b5a6978812345678abcdef00',
      undefined,
      undefined,
    ]);
  });

  it('retries a 5xx with backoff until it succeeds', async () => {
    const result = await callWebhook(hook('/flaky', { retries: 3 }), rollout, direct);
    expect(result).toMatchObject({ ok: true, status: 200, attempts: 3 });
    expect(receiver.received).toHaveLength(3);
    expect(result.durationMs).toBeGreaterThanOrEqual(300 - 5);
  });

  it('gives up after its retries', async () => {
    const result = await callWebhook(hook('/flaky', { retries: 1 }), rollout, direct);
    expect(result).toMatchObject({ ok: false, status: 503, attempts: 2 });
  });

  it('times out within its budget, retries included', async () => {
    const result = await callWebhook(hook('/slow', { timeout: '1s', retries: 5 }), rollout, direct);
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.durationMs).toBeGreaterThanOrEqual(990);
    expect(result.durationMs).toBeLessThan(1500);
    expect(result.message).toBe(
      `webhook load-test (rollout) at ${receiver.base}/slow did not answer within its timeout of 1s (1 attempt); raise the webhook's timeout or check its receiver`,
    );
  });

  it('says the connection was refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const result = await callWebhook(
      { name: 'gate', type: 'confirm-promotion', url: `http://127.0.0.1:${port}/` },
      rollout,
      direct,
    );
    expect(result.ok).toBe(false);
    expect(result.message).toBe(
      `webhook gate (confirm-promotion) at http://127.0.0.1:${port}/ could not connect (ECONNREFUSED) (1 attempt); check the webhook's url and that its receiver runs`,
    );
  });

  it('explains an unresolvable host and suggests the mesh proxy', async () => {
    const result = await callWebhook(
      { name: 'gate', type: 'rollout', url: 'http://no-such-host.invalid/' },
      rollout,
      direct,
    );
    expect(result.message).toMatch(
      /could not resolve its host \((ENOTFOUND|EAI_AGAIN)\).*set FLEDGE_MESH_PROXY/,
    );
  });

  it('refuses a malformed url or timeout without sending', async () => {
    expect((await callWebhook(hook('', { url: 'not a url' }), rollout, direct)).message).toBe(
      'webhook load-test (rollout) at not a url: "not a url" is not a url; write it like http://service.namespace/',
    );
    expect((await callWebhook(hook('/ok', { timeout: 'soon' }), rollout, direct)).message).toMatch(
      /: timeout "soon" is not a duration; write it like 10s or 1m$/,
    );
    expect(receiver.received).toHaveLength(0);
  });

  it('counts calls by type and result', async () => {
    const registry = new Registry();
    await callWebhook(hook('/ok'), rollout, { ...direct, registry });
    await callWebhook(hook('/ok'), rollout, { ...direct, registry });
    await callWebhook(hook('/forbidden', { type: 'confirm-promotion' }), rollout, {
      ...direct,
      registry,
    });
    const text = await registry.metrics();
    expect(text).toContain('fledge_webhook_calls_total{type="rollout",result="success"} 2');
    expect(text).toContain(
      'fledge_webhook_calls_total{type="confirm-promotion",result="failure"} 1',
    );
  });
});
