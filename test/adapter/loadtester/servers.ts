import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Lookup, LookupResult } from '../../../src/loadtester/dns-lookup.js';

/** A local target whose answers the test shapes: every `failEvery`-th request gets a 500. */
export interface Target {
  url: string;
  port: number;
  count(): number;
  /** Connections accepted so far. */
  connections(): number;
  seen: Array<{ url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export async function startTarget(
  opts: { latencyMs?: number; failEvery?: number; closeEach?: boolean } = {},
) {
  let count = 0;
  let connections = 0;
  const seen: Target['seen'] = [];
  const server = createServer((req, res) => {
    count += 1;
    if (seen.length < 5) seen.push({ url: req.url ?? '', headers: req.headers });
    const status = opts.failEvery && count % opts.failEvery === 0 ? 500 : 200;
    req.resume();
    // closeEach makes the client reconnect for every request.
    const headers = opts.closeEach ? { connection: 'close' } : {};
    setTimeout(() => res.writeHead(status, headers).end('ok'), opts.latencyMs ?? 0);
  });
  server.on('connection', () => {
    connections += 1;
  });
  const port = await listen(server);
  const target: Target = {
    url: `http://127.0.0.1:${port}`,
    port,
    count: () => count,
    connections: () => connections,
    seen,
    close: () => close(server),
  };
  return target;
}

/**
 * A tiny forward proxy standing in for the playground's mesh: it only understands
 * absolute-form requests and routes the Service `api.production` to the target, by its full
 * name only (what the loadtester sends), so that anything else shows as a 502.
 */
export async function startForwardProxy(targetPort: number) {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '');
    if (url.host !== 'api.production.svc.cluster.local:8080') {
      res.writeHead(502).end(`unknown host ${url.host}`);
      return;
    }
    const upstream = request(
      {
        host: '127.0.0.1',
        port: targetPort,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: () => close(server) };
}

/**
 * A DNS that answers the names given and nothing else, and remembers what it was asked.
 * `answers` may be a function, for answers that change between lookups (DNS rebinding).
 */
export function fakeDns(
  answers: Record<string, string[]> | ((name: string, asked: number) => string[] | undefined),
) {
  const asked: string[] = [];
  const lookup: Lookup = async (name): Promise<LookupResult> => {
    asked.push(name);
    const addresses =
      typeof answers === 'function'
        ? answers(name, asked.filter((entry) => entry === name).length)
        : answers[name];
    return addresses
      ? { ok: true, addresses }
      : { ok: false, notFound: true, cause: 'no such name' };
  };
  return { lookup, asked };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
