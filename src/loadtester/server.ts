import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { addressList } from './addresses.js';
import { parseAllowList } from './allow-list.js';
import { tokenCheck } from './auth.js';
import { type ClusterDomain, DEFAULT_CLUSTER_DOMAIN } from './cluster-domain.js';
import { dnsLookup, type Lookup } from './dns-lookup.js';
import { answerGate, GATE_ROUTES } from './gate-webhook.js';
import { GateStore } from './gates.js';
import { busy, type Reply, readBody, sendReply } from './http-io.js';
import { CAPACITY, FIELD_LIMITS, TIMEOUTS } from './limits.js';
import { handleLoadWebhook, type LoadAnswer, type LoadWebhookDeps } from './load-webhook.js';
import { createLoadtesterMetrics } from './metrics.js';
import { parseWebhookPayload } from './payload.js';
import { quote } from './quote.js';
import { LoadRuns } from './runs.js';
import { Slots } from './slots.js';

export interface LoadtesterOptions {
  port: number;
  /** Defaults to loopback; the command binds 0.0.0.0 inside a pod. */
  host?: string;
  /** `--allow-host` entries: names, `*.suffix`, addresses or address/prefix ranges. */
  allowHosts: readonly string[];
  /** HTTP forward proxy that load is sent through (FLEDGE_MESH_PROXY). */
  proxy?: URL | string;
  /** The shared token every webhook and gate call must carry; none: no authentication. */
  token?: string;
  /** The loadtester's namespace and the cluster domain; the command reads them from resolv.conf. */
  cluster?: ClusterDomain;
  /** Addresses load never goes to, besides loopback and the rest; default: this host's own. */
  ownAddresses?: Iterable<string>;
  /** Resolves target names; default: the DNS servers of /etc/resolv.conf. */
  lookup?: Lookup;
  /** Lower capacities, for tests. */
  capacity?: Partial<Record<keyof typeof CAPACITY, number>>;
  logger: Logger;
}

export interface Loadtester {
  url: string;
  /** Stops all load, answers what is pending, and closes the server. */
  stop(): Promise<void>;
}

const CLOSE_GRACE_MS = 5_000;
const POST_ENDPOINTS = new Set(['/', ...GATE_ROUTES.keys()]);

export async function startLoadtester(options: LoadtesterOptions): Promise<Loadtester> {
  const logger = options.logger;
  const capacity: Record<keyof typeof CAPACITY, number> = { ...CAPACITY, ...options.capacity };
  const allow = parseAllowList(options.allowHosts);
  const runs = new LoadRuns({ maxRuns: capacity.runs, memoryBytes: capacity.loadMemoryBytes });
  const gates = new GateStore(capacity.openGates);
  const metrics = createLoadtesterMetrics({
    activeRuns: () => runs.size,
    openGates: () => gates.size,
    loadMemoryBytes: () => runs.memoryBytes,
  });
  const deps: LoadWebhookDeps = {
    hosts: { allow, cluster: options.cluster ?? DEFAULT_CLUSTER_DOMAIN },
    target: {
      addresses: { allow, own: addressList(options.ownAddresses ?? interfaceAddresses()) },
      proxy: options.proxy === undefined ? undefined : new URL(options.proxy),
      lookup: options.lookup ?? dnsLookup(TIMEOUTS.dnsMs),
    },
    runs,
    waiting: new Slots(capacity.waitingAnswers),
    metrics,
    logger,
  };
  const authorized = tokenCheck(options.token);
  const reading = new Slots(capacity.busyRequests);
  let stopping = false;

  /** Everything up to the answer, or up to the wait for a blocking run's summary. */
  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<LoadAnswer | { aborted: true }> {
    if (path === '/healthz') return { reply: { status: 200, body: { status: 'ok' } } };
    const fixed = path === '/gate/approve' || path === '/gate/halt';
    if (!fixed && !POST_ENDPOINTS.has(path)) {
      return {
        reply: {
          status: 404,
          body: { error: `no endpoint ${quote(path)}: see docs/loadtester.md` },
        },
      };
    }
    // Nothing is read from a request that is refused before its body: close its connection.
    const refuse = (reply: Reply): LoadAnswer => {
      res.setHeader('connection', 'close');
      return { reply };
    };
    if (!authorized(req.headers.authorization)) {
      metrics.refused('unauthorized');
      return refuse({
        status: 401,
        authenticate: 'Bearer',
        body: {
          error: `${path} needs the loadtester's token: send the header Authorization: Bearer <token>`,
        },
      });
    }
    if (path === '/gate/approve') return { reply: { status: 200, body: { gate: 'approved' } } };
    if (path === '/gate/halt') return { reply: { status: 403, body: { gate: 'halted' } } };
    if (req.method !== 'POST') {
      return refuse({ status: 405, body: { error: `${path} takes POST with a webhook payload` } });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > FIELD_LIMITS.payloadBytes) return refuse(tooLarge());
    if (!reading.tryTake()) {
      metrics.refused('busy');
      return refuse(
        busy(`${reading.capacity} requests are being read at once, the most it reads: retry`),
      );
    }
    try {
      const body = await readBody(req, FIELD_LIMITS.payloadBytes);
      if (!body.ok) return body.reason === 'aborted' ? { aborted: true } : refuse(tooLarge());
      const parsed = parseWebhookPayload(body.text);
      if (!parsed.ok) {
        const error = `${parsed.field} ${parsed.message}`;
        return { reply: { status: 400, body: { error, field: parsed.field } } };
      }
      const gate = GATE_ROUTES.get(path);
      if (gate) return { reply: answerGate(gate, parsed.payload, { gates, metrics, logger }) };
      if (stopping) {
        return {
          reply: { status: 503, body: { error: 'the loadtester is shutting down: retry' } },
        };
      }
      return await handleLoadWebhook(parsed.payload, deps);
    } finally {
      reading.release();
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://loadtester').pathname;
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    const answer = await route(req, res, path);
    if ('aborted' in answer) {
      res.destroy();
      return;
    }
    const reply = 'reply' in answer ? answer.reply : await answer.pending;
    // A keep-alive connection left open after a reply would hold up a graceful stop.
    if (stopping) res.setHeader('connection', 'close');
    sendReply(res, reply);
  }

  const timeouts = {
    requestTimeout: TIMEOUTS.requestMs,
    headersTimeout: TIMEOUTS.headersMs,
    connectionsCheckingInterval: TIMEOUTS.checkEveryMs,
  };
  const server = createServer(timeouts, (req, res) => {
    serve(req, res).catch((error: unknown) => {
      logger.error({ err: error, path: req.url?.slice(0, 200) }, 'request failed');
      if (!res.headersSent) {
        sendReply(res, {
          status: 500,
          body: { error: "internal error: see the loadtester's log" },
        });
      } else res.destroy();
    });
  });
  server.maxConnections = capacity.sockets;
  // Node answers a request it cannot read with a bare status and no body; say why instead.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const answer = clientErrorAnswer(error.code);
    if (answer && socket.writable && socket.bytesWritten === 0) {
      const body = JSON.stringify({ error: answer.error });
      socket.write(
        `HTTP/1.1 ${answer.status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    // As Node's own handler does: the request being read ends with the socket, freeing its slot.
    socket.destroy(error);
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
    {
      url,
      allowHosts: options.allowHosts,
      proxy: deps.target.proxy?.href,
      cluster: deps.hosts.cluster,
      authentication: options.token === undefined ? 'none' : 'token',
    },
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

function tooLarge(): Reply {
  const limit = FIELD_LIMITS.payloadBytes;
  return { status: 413, body: { error: `the payload is larger than ${limit} bytes: send less` } };
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((entries) =>
    (entries ?? []).map((entry) => entry.address),
  );
}

/** What to answer a request Node could not read, by its parser's error code; none: hang up. */
export function clientErrorAnswer(
  code: string | undefined,
): { status: string; error: string } | undefined {
  switch (code) {
    case 'ECONNRESET':
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: '431 Request Header Fields Too Large',
        error:
          'the request line and headers are over 16 KiB: send the load in the JSON body of a POST',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: '408 Request Timeout', error: 'the request was not sent in time' };
    default:
      return { status: '400 Bad Request', error: 'the request is not valid HTTP/1.1' };
  }
}
