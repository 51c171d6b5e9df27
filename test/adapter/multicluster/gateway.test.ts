import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../../src/playground/multicluster/gateway.js';

/** Stands in for the gateway cluster's mesh proxy: answers with what it received. */
let mesh: http.Server;
let gateway: Gateway;

beforeAll(async () => {
  mesh = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ host: req.headers.host, caller: req.headers['l5d-client'], url: req.url }),
    );
  });
  await new Promise<void>((resolve) => mesh.listen(0, '127.0.0.1', resolve));
  const { port } = mesh.address() as AddressInfo;
  gateway = await startGateway({
    cluster: 'west',
    meshProxy: `http://127.0.0.1:${port}`,
    latencyMs: 200,
    logger: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise((resolve) => mesh?.close(resolve));
});

function send(): Promise<{ status: number; body: Record<string, string>; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: gateway.ip,
        port: gateway.port,
        path: '/items?page=2',
        headers: { host: 'api.shop.svc.cluster.local:8080', 'l5d-client': 'east/caller' },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the multicluster gateway', () => {
  it('hands a request to its cluster’s mesh as the gateway, keeping the remote authority, after the latency', async () => {
    const answer = await send();
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      host: 'api.shop.svc.cluster.local:8080',
      caller: 'linkerd-multicluster/linkerd-gateway',
      url: '/items?page=2',
    });
    expect(answer.ms).toBeGreaterThanOrEqual(199);
  });

  it('refuses every request while cut, and carries them again once restored', async () => {
    gateway.cut();
    expect(gateway.isCut).toBe(true);
    await expect(send()).rejects.toThrow(/socket hang up|ECONNRESET/);
    gateway.restore();
    gateway.setLatency(0);
    const answer = await send();
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(200);
  });
});
