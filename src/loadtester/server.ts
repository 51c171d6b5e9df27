import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type GateKind, GateStore } from './gates.js';
import { type Reply, readBody, sendReply } from './http-io.js';
import { handleLoadWebhook, type LoadWebhookDeps } from './load-webhook.js';
import { createLoadtesterMetrics } from './metrics.js';
import { parseWebhookPayload, type WebhookPayload } from './payload.js';
import { LoadRuns } from './runs.js';

export interface LoadtesterOptions {
  port: number;
  /** Defaults to loopback; the command binds 0.0.0.0 inside a pod. */
  host?: string;
  /** Hosts allowed besides cluster-local names: exact names or `*.suffix`. */
  allowHosts: readonly string[];
  /** HTTP forward proxy that load is sent through (FLEDGE_MESH_PROXY). */
  proxy?: URL | string;
  logger: Logger;
}

export interface Loadtester {
  url: string;
  /** Stops all load, answers what is pending, and closes the server. */
  stop(): Promise<void>;
}

const BODY_LIMIT_BYTES = 1024 * 1024;
const CLOSE_GRACE_MS = 5_000;

type GateAction = { kind: GateKind; action: 'check' | 'open' | 'close' };

const GATE_ROUTES: Record<string, GateAction> = {
  '/gate/check': { kind: 'gate', action: 'check' },
  '/gate/open': { kind: 'gate', action: 'open' },
  '/gate/close': { kind: 'gate', action: 'close' },
  '/rollback/check': { kind: 'rollback', action: 'check' },
  '/rollback/open': { kind: 'rollback', action: 'open' },
  '/rollback/close': { kind: 'rollback', action: 'close' },
};

export async function startLoadtester(options: LoadtesterOptions): Promise<Loadtester> {
  const logger = options.logger;
  const runs = new LoadRuns();
  const metrics = createLoadtesterMetrics(() => runs.size);
  const gates = new GateStore();
  const deps: LoadWebhookDeps = {
    allowHosts: options.allowHosts,
    proxy: options.proxy === undefined ? undefined : new URL(options.proxy),
    runs,
    metrics,
    logger,
  };
  let stopping = false;

  async function route(req: IncomingMessage, path: string): Promise<Reply> {
    if (path === '/healthz') return { status: 200, body: { status: 'ok' } };
    if (path === '/gate/approve') return { status: 200, body: { gate: 'approved' } };
    if (path === '/gate/halt') return { status: 403, body: { gate: 'halted' } };
    const gate = GATE_ROUTES[path];
    if (path !== '/' && !gate) {
      return { status: 404, body: { error: `no endpoint ${path}: see docs/loadtester.md` } };
    }
    if (req.method !== 'POST') {
      return { status: 405, body: { error: `${path} takes POST with a webhook payload` } };
    }
    const body = await readBody(req, BODY_LIMIT_BYTES);
    if (body === undefined) {
      return {
        status: 413,
        body: { error: `the payload is larger than ${BODY_LIMIT_BYTES} bytes` },
      };
    }
    const parsed = parseWebhookPayload(body);
    if (!parsed.ok) {
      return {
        status: 400,
        body: { error: `${parsed.field} ${parsed.message}`, field: parsed.field },
      };
    }
    if (gate) return answerGate(gate, parsed.payload);
    if (stopping) {
      return { status: 503, body: { error: 'the loadtester is shutting down: retry' } };
    }
    return handleLoadWebhook(parsed.payload, deps);
  }

  function answerGate(gate: GateAction, payload: WebhookPayload): Reply {
    const rollout = `${payload.namespace}/${payload.name}`;
    if (gate.action === 'check') {
      const open = gates.isOpen(gate.kind, rollout);
      logger.info({ rollout, gate: gate.kind, open }, 'gate checked');
      return { status: open ? 200 : 403, body: { rollout, [gate.kind]: open ? 'open' : 'closed' } };
    }
    gates.set(gate.kind, rollout, gate.action === 'open');
    logger.info({ rollout, gate: gate.kind, action: gate.action }, 'gate changed');
    return {
      status: 202,
      body: { rollout, [gate.kind]: gate.action === 'open' ? 'open' : 'closed' },
    };
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://loadtester').pathname;
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    const reply = await route(req, path);
    // A keep-alive connection left open after a reply would hold up a graceful stop.
    if (stopping) res.setHeader('connection', 'close');
    sendReply(res, reply);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      logger.error({ err: error, path: req.url }, 'request failed');
      if (!res.headersSent) sendReply(res, { status: 500, body: { error: String(error) } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info(
    { url, allowHosts: options.allowHosts, proxy: deps.proxy?.href },
    'loadtester listening',
  );

  return {
    url,
    async stop() {
      if (stopping) return;
      stopping = true;
      logger.info({ activeRuns: runs.size }, 'stopping all load');
      await runs.stopAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
      logger.info('loadtester stopped');
    },
  };
}
