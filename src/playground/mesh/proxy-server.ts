import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { sniffingServer } from '../protocol-sniff.js';
import { appTimingMs, SERVER_TIMING_HEADER } from '../server-timing.js';
import { CLIENT_HEADER, NAMESPACE_HEADER, parseCaller } from './caller.js';
import { type Settled, settle } from './endpoint-queue.js';
import { forwardStream, UpstreamSessions } from './grpc-forward.js';
import { parseServiceHost } from './host-name.js';
import type { MeshState } from './mesh-state.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { modifyHeaders, redirectLocation } from './route-filters.js';

export { CLIENT_HEADER, DEFAULT_CALLER, NAMESPACE_HEADER, parseCaller } from './caller.js';

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  CLIENT_HEADER,
  NAMESPACE_HEADER,
]);

function forwardedHeaders(headers: http.IncomingHttpHeaders, host: string) {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const result: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!hopByHop.has(name) && !named.includes(name) && value !== undefined) result[name] = value;
  }
  result.host = host;
  return result;
}

function target(req: http.IncomingMessage): URL | null {
  try {
    return new URL(
      req.url?.startsWith('/') ? `http://${req.headers.host ?? ''}${req.url}` : (req.url ?? ''),
    );
  } catch {
    return null;
  }
}

export interface ProxyServerOptions {
  host: string;
  port: number;
  state: MeshState;
  metrics: ProxyMetrics;
  logger: Logger;
}

export interface ProxyServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The mesh's entry point: an HTTP forward proxy. A client sends absolute-form requests
 * (`curl -x`) to cluster Service names; tools without proxy support (autocannon, hey) may
 * instead send ordinary requests to the proxy with the Service name in the Host header, and
 * gRPC clients h2c calls with it as the authority, on the same port. The proxy routes them
 * like the Linkerd proxy of a meshed caller (matches, filters, timeouts) and records both
 * sides' metrics.
 */
export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { state, metrics, logger } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, timeout: 30_000 });

  function reject(res: http.ServerResponse, status: number, reason: string) {
    const body = `fledge mesh: ${reason}\n`;
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'l5d-proxy-error': reason.replace(/[^\x20-\x7e]/g, ' '),
    });
    res.end(body);
  }

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const url = target(req);
    const namespace = String(req.headers[NAMESPACE_HEADER] ?? 'default');
    const address = url ? parseServiceHost(url.hostname, Number(url.port || 80), namespace) : null;
    if (!url || !address) {
      req.resume();
      reject(
        res,
        502,
        `cannot route to "${url?.host ?? req.url}": use a cluster Service name such as http://<service>.<namespace>:<port>/`,
      );
      return;
    }
    const caller = parseCaller(req.headers[CLIENT_HEADER]);
    const path = `${url.pathname}${url.search}`;
    const host = url.host;
    const first = state.decide(address, {
      path,
      method: req.method ?? 'GET',
      headers: req.headersDistinct,
    });
    if (first.kind === 'queue') void settle(first).then(send);
    else send(first);

    function send(decision: Settled): void {
      if (decision.kind === 'redirect') {
        req.resume();
        const location = redirectLocation(decision.redirect, host, path, decision.prefix);
        res.writeHead(decision.redirect.statusCode, { location, 'content-length': 0 });
        res.end();
        return;
      }
      if (decision.kind === 'reject') {
        req.resume();
        if (decision.destination) {
          metrics.record({
            direction: 'outbound',
            workload: caller,
            destination: decision.destination,
            statusCode: decision.status,
            latencyMs: performance.now() - started,
          });
        }
        reject(res, decision.status, decision.reason);
        return;
      }
      const { endpoint, destination, server: serving } = decision;
      const authority = decision.authorityOverride ?? host;
      const upstream = http.request({
        host: endpoint.ip,
        port: endpoint.port,
        method: req.method,
        path,
        headers: modifyHeaders(forwardedHeaders(req.headers, authority), decision.requestHeaders),
        agent,
      });
      // Linkerd cancels a request past its route's timeout and answers 504 itself.
      const timer =
        decision.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              if (res.headersSent) return;
              upstream.destroy();
              metrics.record({
                direction: 'outbound',
                workload: caller,
                destination,
                statusCode: 504,
                latencyMs: performance.now() - started,
              });
              reject(res, 504, `request timed out after ${decision.timeoutMs} ms (route timeout)`);
            }, decision.timeoutMs);
      upstream.on('response', (answer) => {
        clearTimeout(timer);
        if (res.headersSent) {
          answer.resume();
          return;
        }
        const latencyMs = performance.now() - started;
        const statusCode = answer.statusCode ?? 502;
        metrics.record({
          direction: 'outbound',
          workload: caller,
          destination,
          statusCode,
          latencyMs,
        });
        if (serving)
          metrics.record({
            direction: 'inbound',
            workload: serving,
            authority,
            statusCode,
            // The pod's own inbound proxy would time the app next to it (server-timing.ts).
            latencyMs: appTimingMs(answer.headers[SERVER_TIMING_HEADER]) ?? latencyMs,
          });
        res.writeHead(
          statusCode,
          modifyHeaders(forwardedHeaders(answer.headers, host), decision.responseHeaders),
        );
        answer.pipe(res);
      });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        metrics.record({
          direction: 'outbound',
          workload: caller,
          destination,
          statusCode: 502,
          latencyMs: performance.now() - started,
        });
        const pod = serving ? `pod ${serving.namespace}/${serving.pod}` : 'endpoint';
        reject(
          res,
          502,
          `${pod} at ${endpoint.ip}:${endpoint.port} failed: ${err.code ?? err.message}`,
        );
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    }
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (err, socket) => {
    logger.debug({ err }, 'bad request from client');
    socket.destroy();
  });
  const sessions = new UpstreamSessions();
  const grpc = http2.createServer();
  grpc.on('stream', (stream, headers) =>
    forwardStream(stream, headers, { state, metrics, sessions, logger }),
  );
  const clients = new Set<http2.ServerHttp2Session>();
  grpc.on('session', (session) => {
    clients.add(session);
    session.on('close', () => clients.delete(session));
  });
  const listener = sniffingServer(server, grpc);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, options.host, () => resolve());
  });
  const { port } = listener.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        listener.close(() => resolve());
        server.closeAllConnections();
        for (const session of clients) session.destroy();
      });
      sessions.closeAll();
      agent.destroy();
    },
  };
}
