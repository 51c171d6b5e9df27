import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Reply = (req: Received, res: ServerResponse) => void;

/** A local webhook receiver on 127.0.0.1 that records every request and answers by route. */
export async function startReceiver(routes: Record<string, Reply>) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      received.push(entry);
      const reply = routes[new URL(entry.url, 'http://x').pathname];
      if (reply) reply(entry, res);
      else res.writeHead(404).end('no such route');
    });
  });
  await listen(server);
  return { server, received, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * A minimal HTTP forward proxy, as the playground's mesh proxy: it takes absolute-form
 * requests, maps the host names it knows to local ports, and answers 502 for the others.
 */
export async function startForwardProxy(names: Record<string, number>) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = URL.parse(req.url ?? '');
    const port = target ? names[target.hostname] : undefined;
    if (!target || port === undefined) {
      res.writeHead(502).end(`mesh proxy: no service named ${target?.hostname ?? req.url}`);
      return;
    }
    const upstream = request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => res.writeHead(502).end(error.message));
    req.pipe(upstream);
  });
  await listen(server);
  return { server, seen, address: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

export function close(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
