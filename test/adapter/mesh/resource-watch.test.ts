import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeHttp } from '../../../src/playground/mesh/kube-http.js';
import { type ResourceWatch, watchResource } from '../../../src/playground/mesh/resource-watch.js';

interface Item {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec?: { n: number };
}

const item = (name: string, resourceVersion: string, n = 0): Item => ({
  metadata: { name, namespace: 'ns', resourceVersion },
  spec: { n },
});

/**
 * A local stand-in for the API server's list and watch endpoints, scripted per request:
 * `lists` answers successive lists, `watches` successive watch requests.
 */
function fakeApiServer(script: {
  lists: Array<{ status: number; items?: Item[]; resourceVersion?: string }>;
  watches: Array<(res: http.ServerResponse) => void>;
}) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(
      url.searchParams.has('watch') ? `watch@${url.searchParams.get('resourceVersion')}` : 'list',
    );
    if (url.searchParams.has('watch')) {
      const next = script.watches.shift();
      if (!next) return; // hold the connection open, silent, until the client gives up
      res.writeHead(200, { 'content-type': 'application/json' });
      next(res);
      return;
    }
    const list = script.lists.shift() ?? { status: 500 };
    res.writeHead(list.status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        list.status === 200
          ? { items: list.items ?? [], metadata: { resourceVersion: list.resourceVersion ?? '1' } }
          : { kind: 'Status', code: list.status, message: `scripted ${list.status}` },
      ),
    );
  });
  return {
    requests,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [
          {
            name: 'c',
            server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            skipTLSVerify: true,
          },
        ],
        users: [{ name: 'u', token: 't' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      return createKubeHttp(kc);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const event = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;
const kind = { group: 'split.smi-spec.io', version: 'v1alpha2', plural: 'trafficsplits' };
const logger = pino({ level: 'silent' });
let cleanup: Array<() => unknown> = [];

afterEach(async () => {
  for (const fn of cleanup) await fn();
  cleanup = [];
});

async function until(what: string, check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function start(server: ReturnType<typeof fakeApiServer>, options = {}) {
  const changes: string[] = [];
  const deletes: string[] = [];
  let watch: ResourceWatch<Item> | undefined;
  return {
    changes,
    deletes,
    async run() {
      const kube = await server.start();
      watch = watchResource<Item>(
        kube,
        kind,
        {
          onChange: (o) => changes.push(`${o.metadata.name}@${o.metadata.resourceVersion}`),
          onDelete: (o) => deletes.push(o.metadata.name),
        },
        logger,
        { retryMs: 20, missingRetryMs: 50, ...options },
      );
      cleanup.push(() => watch?.stop(), server.close);
      return watch;
    },
  };
}

describe('watchResource against a local API server', () => {
  it('lists, then applies watch events from the list resourceVersion', async () => {
    const server = fakeApiServer({
      lists: [{ status: 200, items: [item('a', '5')], resourceVersion: '7' }],
      watches: [
        (res) => {
          res.write(event('ADDED', item('b', '8')));
          res.write(event('MODIFIED', item('a', '9', 1)));
          res.write(event('DELETED', item('b', '10')));
          res.write(event('BOOKMARK', { metadata: { resourceVersion: '11' } }));
          res.end();
        },
      ],
    });
    const probe = start(server);
    const watch = await probe.run();
    await watch.synced;
    await until('the bookmark to carry over into the next watch', () =>
      server.requests.includes('watch@11'),
    );
    expect(server.requests.slice(0, 2)).toEqual(['list', 'watch@7']);
    expect(probe.changes).toEqual(['a@5', 'b@8', 'a@9']);
    expect(probe.deletes).toEqual(['b']);
    expect([...watch.store.keys()]).toEqual(['ns/a']);
    expect(watch.store.get('ns/a')?.spec?.n).toBe(1);
  });

  it('lists again after a 410 Gone event, reporting what vanished meanwhile', async () => {
    const server = fakeApiServer({
      lists: [
        { status: 200, items: [item('a', '5'), item('b', '5')], resourceVersion: '5' },
        { status: 200, items: [item('a', '20')], resourceVersion: '20' },
      ],
      watches: [
        (res) => res.end(event('ERROR', { kind: 'Status', code: 410, message: 'too old' })),
      ],
    });
    const probe = start(server);
    await probe.run();
    await until('the second list', () => probe.deletes.length > 0);
    expect(probe.deletes).toEqual(['b']);
    expect(server.requests.slice(0, 4)).toEqual(['list', 'watch@5', 'list', 'watch@20']);
  });

  it('reports synced when the type is not served, and picks it up once it is', async () => {
    const server = fakeApiServer({
      lists: [{ status: 404 }, { status: 404 }, { status: 200, items: [item('late', '3')] }],
      watches: [],
    });
    const probe = start(server);
    const watch = await probe.run();
    await watch.synced;
    expect(watch.store.size).toBe(0);
    await until('the CRD to appear', () => watch.store.has('ns/late'));
  });

  it('retries after a server error instead of giving up', async () => {
    const server = fakeApiServer({
      lists: [{ status: 500 }, { status: 200, items: [item('a', '1')] }],
      watches: [],
    });
    const probe = start(server);
    const watch = await probe.run();
    await watch.synced;
    expect(watch.store.has('ns/a')).toBe(true);
  });

  it('drops a silent watch after the idle limit and lists again', async () => {
    const server = fakeApiServer({
      lists: [
        { status: 200, items: [item('a', '1')], resourceVersion: '1' },
        { status: 200, items: [item('a', '2')], resourceVersion: '2' },
      ],
      watches: [],
    });
    const probe = start(server, { idleMs: 200 });
    await probe.run();
    await until('the watchdog to re-list', () => probe.changes.includes('a@2'));
    expect(server.requests.slice(0, 3)).toEqual(['list', 'watch@1', 'list']);
  });
});
