import http2 from 'node:http2';
import type { Logger } from 'pino';
import { CLIENT_HEADER, NAMESPACE_HEADER, parseCaller } from './caller.js';
import { type Settled, settle } from './endpoint-queue.js';
import { parseServiceHost } from './host-name.js';
import type { MeshState } from './mesh-state.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { type Headers, modifyHeaders } from './route-filters.js';

/**
 * The mesh proxy's HTTP/2 side: gRPC calls (h2c with prior knowledge, `:authority` naming the
 * Service) routed like any request, GRPCRoutes included, to the pod's h2c port; the metrics
 * carry the grpc-status from the trailers and classify by it, as linkerd2-proxy does.
 */

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
/** An upstream session unused this long is closed. */
const SESSION_IDLE_MS = 60_000;

const dropped = new Set([
  'connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  CLIENT_HEADER,
  NAMESPACE_HEADER,
]);

/** Headers without HTTP/2 pseudo-headers and hop-by-hop ones. */
function plain(headers: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && !dropped.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

const isGrpc = (headers: http2.IncomingHttpHeaders) =>
  String(headers['content-type'] ?? '').startsWith('application/grpc');

/** h2c sessions to pods, one per address, closed when idle or broken. */
export class UpstreamSessions {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();

  get(ip: string, port: number): http2.ClientHttp2Session {
    const key = `${ip}:${port}`;
    const existing = this.sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(`http://${key}`);
    session.setTimeout(SESSION_IDLE_MS, () => session.close());
    const forget = () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    };
    session.on('close', forget);
    session.on('goaway', forget);
    session.on('error', forget);
    this.sessions.set(key, session);
    return session;
  }

  closeAll(): void {
    for (const session of this.sessions.values()) session.destroy();
    this.sessions.clear();
  }
}

interface Deps {
  state: MeshState;
  metrics: ProxyMetrics;
  sessions: UpstreamSessions;
  logger: Logger;
}

/** Answers a call the proxy refuses itself: a gRPC status for gRPC, an HTTP status otherwise. */
function refuse(
  stream: http2.ServerHttp2Stream,
  grpc: boolean,
  status: number,
  grpcStatus: number,
  reason: string,
) {
  if (stream.headersSent || stream.destroyed) return;
  const error = reason.replace(/[^\x20-\x7e]/g, ' ');
  stream.respond(
    grpc
      ? {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(grpcStatus),
          'grpc-message': encodeURIComponent(reason),
          'l5d-proxy-error': error,
        }
      : {
          ':status': status,
          'content-type': 'text/plain; charset=utf-8',
          'l5d-proxy-error': error,
        },
    { endStream: grpc },
  );
  if (!grpc) stream.end(`fledge mesh: ${reason}\n`);
}

export function forwardStream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  deps: Deps,
): void {
  const started = performance.now();
  const grpc = isGrpc(headers);
  const authority = String(headers[':authority'] ?? '');
  const [hostname = '', port = '80'] = authority.split(':');
  const namespace = String(headers[NAMESPACE_HEADER] ?? 'default');
  const address = parseServiceHost(hostname, Number(port), namespace);
  stream.on('error', () => stream.destroy());
  if (!address) {
    stream.resume();
    refuse(
      stream,
      grpc,
      502,
      GRPC_UNAVAILABLE,
      `cannot route to "${authority}": use a cluster Service name such as <service>.<namespace>:<port> as the authority`,
    );
    return;
  }
  const caller = parseCaller(headers[CLIENT_HEADER]);
  const path = String(headers[':path'] ?? '/');
  const method = String(headers[':method'] ?? 'POST');
  const first = deps.state.decide(address, { path, method, headers: plain(headers) });
  if (first.kind === 'queue') void settle(first).then(forward);
  else forward(first);

  function forward(decision: Settled): void {
    const record = (statusCode: number, grpcStatus: number | undefined, latencyMs: number) => {
      if (decision.kind === 'redirect' || !decision.destination) return;
      const status = { statusCode, latencyMs, ...(grpcStatus !== undefined ? { grpcStatus } : {}) };
      deps.metrics.record({
        direction: 'outbound',
        workload: caller,
        destination: decision.destination,
        ...status,
      });
      if (decision.kind === 'forward' && decision.server) {
        deps.metrics.record({
          direction: 'inbound',
          workload: decision.server,
          authority,
          ...status,
        });
      }
    };
    if (decision.kind === 'redirect') {
      stream.resume();
      refuse(
        stream,
        false,
        decision.redirect.statusCode,
        GRPC_UNAVAILABLE,
        'redirects are not followed for gRPC',
      );
      return;
    }
    if (decision.kind === 'reject') {
      stream.resume();
      const grpcStatus = grpc ? GRPC_UNAVAILABLE : undefined;
      if (decision.destination) {
        deps.metrics.record({
          direction: 'outbound',
          workload: caller,
          destination: decision.destination,
          statusCode: grpc ? 200 : decision.status,
          latencyMs: performance.now() - started,
          ...(grpcStatus !== undefined ? { grpcStatus } : {}),
        });
      }
      refuse(stream, grpc, decision.status, GRPC_UNAVAILABLE, decision.reason);
      return;
    }
    const { endpoint } = decision;
    const upstreamAuthority = decision.authorityOverride ?? authority;
    const upstream = deps.sessions.get(endpoint.ip, endpoint.port).request({
      ...modifyHeaders(plain(headers), decision.requestHeaders),
      ':method': method,
      ':path': path,
      ':authority': upstreamAuthority,
      ...(grpc ? { te: 'trailers' } : {}),
    });
    let statusCode = 502;
    let grpcStatus: number | undefined;
    let latencyMs = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      record(statusCode, grpcStatus, latencyMs || performance.now() - started);
    };
    const timer =
      decision.timeoutMs !== undefined
        ? setTimeout(() => {
            if (stream.headersSent) return;
            upstream.close(http2.constants.NGHTTP2_CANCEL);
            statusCode = grpc ? 200 : 504;
            grpcStatus = grpc ? GRPC_DEADLINE_EXCEEDED : undefined;
            finish();
            refuse(
              stream,
              grpc,
              504,
              GRPC_DEADLINE_EXCEEDED,
              `request timed out after ${decision.timeoutMs} ms`,
            );
          }, decision.timeoutMs)
        : undefined;
    upstream.on('response', (answer, flags) => {
      if (done) return;
      latencyMs = performance.now() - started;
      statusCode = Number(answer[':status'] ?? 502);
      const trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      if (answer['grpc-status'] !== undefined) grpcStatus = Number(answer['grpc-status']);
      const responseHeaders = {
        ':status': statusCode,
        ...modifyHeaders(plain(answer), decision.responseHeaders),
      };
      if (trailersOnly) {
        stream.respond(responseHeaders, { endStream: true });
        finish();
        return;
      }
      stream.respond(responseHeaders, { waitForTrailers: true });
      // Sent once the data has gone: the upstream's trailers, or none for a plain response.
      stream.once('wantTrailers', () => stream.sendTrailers(trailers as http2.OutgoingHttpHeaders));
      upstream.pipe(stream);
    });
    let trailers: Headers = {};
    upstream.on('trailers', (received) => {
      trailers = plain(received);
      if (received['grpc-status'] !== undefined) grpcStatus = Number(received['grpc-status']);
    });
    upstream.on('end', finish);
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (done) return;
      statusCode = grpc ? 200 : 502;
      grpcStatus = grpc ? GRPC_UNAVAILABLE : undefined;
      finish();
      const pod = decision.server
        ? `pod ${decision.server.namespace}/${decision.server.pod}`
        : 'endpoint';
      if (stream.headersSent) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else
        refuse(
          stream,
          grpc,
          502,
          GRPC_UNAVAILABLE,
          `${pod} at ${endpoint.ip}:${endpoint.port} failed: ${error.code ?? error.message}`,
        );
    });
    stream.on('close', () => {
      if (!upstream.closed) upstream.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.pipe(upstream);
  }
}
