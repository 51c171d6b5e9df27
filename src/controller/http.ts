import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Alive: the process works (its watches are not given up). */
  healthy(): { ok: boolean; message: string };
  /** Ready: caches are synced; a follower is ready too, so a rollout of the controller proceeds. */
  ready(): { ok: boolean; message: string };
}

/** `/healthz`, `/readyz` and `/metrics` on one port. */
export async function startHttpServer(
  host: string,
  port: number,
  registry: Registry,
  health: HealthSource,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz') {
      const state = path === '/healthz' ? health.healthy() : health.ready();
      res.writeHead(state.ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(`${state.message}\n`);
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${String(error)}\n`);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /healthz, /readyz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
