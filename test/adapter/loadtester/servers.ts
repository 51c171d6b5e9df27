import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local target whose answers the test shapes: every `failEvery`-th request gets a 500. */
export interface Target {
  url: string;
  port: number;
  count(): number;
  seen: Array<{ url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export async function startTarget(opts: { latencyMs?: number; failEvery?: number } = {}) {
  let count = 0;
  const seen: Target['seen'] = [];
  const server = createServer((req, res) => {
    count += 1;
    if (seen.length < 5) seen.push({ url: req.url ?? '', headers: req.headers });
    const status = opts.failEvery && count % opts.failEvery === 0 ? 500 : 200;
    req.resume();
    setTimeout(() => res.writeHead(status).end('ok'), opts.latencyMs ?? 0);
  });
  const port = await listen(server);
  const target: Target = {
    url: `http://127.0.0.1:${port}`,
    port,
    count: () => count,
    seen,
    close: () => close(server),
  };
  return target;
}

/**
 * A tiny forward proxy standing in for the playground's mesh: it only understands
 * absolute-form requests and routes the name `api.production:8080` to the target.
 */
export async function startForwardProxy(targetPort: number) {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '');
    if (url.host !== 'api.production:8080') {
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

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
