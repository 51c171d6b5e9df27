import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { appTimingMs, SERVER_TIMING_HEADER } from '../server-timing.js';
import { parseServiceHost } from './host-name.js';
import type { MeshState } from './mesh-state.js';
import type { ProxyMetrics, Workload } from './proxy-metrics.js';

/** Header a caller sets to be counted as `<namespace>/<deployment>[/<pod>]` in outbound series. */
export const CLIENT_HEADER = 'l5d-client';
/** Header giving the namespace of a bare `<svc>` host name; without it, `default`. */
export const NAMESPACE_HEADER = 'l5d-dst-namespace';
/** Who sends a request that carries no client header: tests, people with curl, tools. */
export const DEFAULT_CALLER: Workload = {
  namespace: 'fledge-system',
  deployment: 'mesh-client',
  pod: 'mesh-client',
};

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

export function parseCaller(header: string | string[] | undefined): Workload {
  const value = Array.isArray(header) ? header[0] : header;
  const [namespace, deployment, pod] = (value ?? '').split('/').map((part) => part.trim());
  if (!namespace || !deployment) return DEFAULT_CALLER;
  return { namespace, deployment, pod: pod || deployment };
}

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
 * instead send ordinary requests to the proxy with the Service name in the Host header.
 * The proxy routes them like the Linkerd proxy of a meshed caller and records both sides'
 * metrics.
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
    const decision = state.decide(address, {
      path,
      method: req.method ?? 'GET',
      headers: req.headers,
    });
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
    const authority = decision.authorityOverride ?? url.host;
    const upstream = http.request({
      host: endpoint.ip,
      port: endpoint.port,
      method: req.method,
      path,
      headers: forwardedHeaders(req.headers, authority),
      agent,
    });
    upstream.on('response', (answer) => {
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
      res.writeHead(statusCode, forwardedHeaders(answer.headers, url.host));
      answer.pipe(res);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
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
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (err, socket) => {
    logger.debug({ err }, 'bad request from client');
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
