import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ControllerTelemetry } from '../../../src/controller/telemetry.js';
import { ControllerWatches, type WatchRestart } from '../../../src/controller/watches.js';
import { waitFor } from '../../support/apiserver.js';
import { fakeClusterApi } from '../../support/fake-api.js';

const SERVICES = '/api/v1/namespaces/prod/services';

/**
 * A local API server whose Services watch fails once (500), then says 410 Gone once, then
 * stays open; every other watch stays open and every list is empty. A real API server does
 * not fail a watch on demand.
 */
async function flakyServer() {
  const open: http.ServerResponse[] = [];
  const lists: string[] = [];
  let servicesWatches = 0;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (url.searchParams.get('watch') !== 'true') {
      // Discovery (the autoscaler watch asks for its version) finds nothing served.
      if (!url.pathname.includes('/namespaces/')) {
        json(404, { kind: 'Status', code: 404, reason: 'NotFound' });
        return;
      }
      lists.push(url.pathname);
      json(200, { kind: 'List', items: [], metadata: { resourceVersion: '7' } });
      return;
    }
    if (url.pathname === SERVICES) servicesWatches += 1;
    if (url.pathname === SERVICES && servicesWatches === 1) {
      json(500, { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd is sick' });
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.pathname === SERVICES && servicesWatches === 2) {
      response.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410 } })}\n`);
      return;
    }
    response.flushHeaders();
    open.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lists,
    async close() {
      for (const response of open.splice(0)) response.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('ControllerWatches: a watch opened again is said and counted', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('counts a failed watch as a reconnect and a 410 Gone as a re-list, and logs both', async () => {
    const server = await flakyServer();
    cleanups.push(() => server.close());
    const api = fakeClusterApi(server.url);
    cleanups.push(async () => api.close());
    const registry = new Registry();
    const telemetry = new ControllerTelemetry(registry);
    const logged: Array<{ msg: string; watch?: string }> = [];
    const log = pino(
      { level: 'info' },
      { write: (line: string) => logged.push(JSON.parse(line) as (typeof logged)[number]) },
    );
    const restarts: Array<[string, WatchRestart]> = [];
    const watches = new ControllerWatches(
      api,
      {
        namespaces: ['prod'],
        log,
        restarted: (watch, reason) => {
          restarts.push([watch, reason]);
          telemetry.watchRestarts.inc({ watch, reason });
        },
      },
      { enqueue: () => {}, accepting: () => true },
    );
    watches.start();
    cleanups.push(() => watches.stop());

    await waitFor('the Services watch listed again', async () =>
      restarts.some(([, reason]) => reason === 'relist') ? true : undefined,
    );
    expect(restarts).toEqual([
      ['services.core/v1', 'reconnect'],
      ['services.core/v1', 'relist'],
    ]);
    // The first list, and the one after 410 Gone: a failed watch resumes without one.
    expect(server.lists.filter((path) => path === SERVICES)).toHaveLength(2);
    const said = logged.filter((line) => line.watch === 'services.core/v1').map((l) => l.msg);
    expect(said).toEqual([
      'a watch failed; it is opened again from where it was',
      'the API server no longer had the resourceVersion; listed again',
    ]);
    const metric = await registry.getSingleMetricAsString('fledge_watch_restarts_total');
    expect(metric).toContain(
      'fledge_watch_restarts_total{watch="services.core/v1",reason="reconnect"} 1',
    );
    expect(metric).toContain(
      'fledge_watch_restarts_total{watch="services.core/v1",reason="relist"} 1',
    );
  });
});
