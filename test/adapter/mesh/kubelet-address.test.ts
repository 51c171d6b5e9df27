import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { PodAddressPool, serveOnFreeAddress } from '../../../src/playground/kubelet/pod-address.js';
import { type PodApp, startPodApp } from '../../../src/playground/kubelet/pod-app.js';

const behaviour = { errorRate: 0, latencyMs: 0 };
const opened: Array<{ close(): unknown }> = [];

afterAll(async () => {
  for (const item of opened) await item.close();
});

async function serveAt(address: string): Promise<PodApp | null> {
  try {
    const app = await startPodApp({
      ip: address,
      port: 18181,
      namespace: 'ns',
      pod: 'p',
      container: 'c',
      image: 'i:1',
      behaviour,
    });
    opened.push({ close: () => app.close(0) });
    return app;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return null;
    throw err;
  }
}

describe('serveOnFreeAddress', () => {
  it('skips an address whose port another process (another playground) holds', async () => {
    const other = http.createServer((_req, res) => res.end('other playground'));
    await new Promise<void>((resolve) => other.listen(18181, '127.6.0.1', resolve));
    opened.push({ close: () => new Promise((resolve) => other.close(resolve)) });

    const pool = new PodAddressPool('127.6');
    const { address } = await serveOnFreeAddress(pool, undefined, serveAt);
    expect(address).toBe('127.6.0.2');
    const body = await (await fetch('http://127.6.0.2:18181/')).json();
    expect(body).toMatchObject({ pod: 'p', image: 'i:1' });
  });

  it('keeps a restarted pod on its previous address when that is free', async () => {
    const pool = new PodAddressPool('127.6', 500);
    expect((await serveOnFreeAddress(pool, '127.6.9.9', serveAt)).address).toBe('127.6.9.9');
  });

  it('gives up after the given number of tries, saying what to do', async () => {
    const pool = new PodAddressPool('127.6');
    await expect(serveOnFreeAddress(pool, undefined, async () => null, 3)).rejects.toThrow(
      /no free loopback address after 3 tries .*stop other playgrounds/,
    );
  });
});
