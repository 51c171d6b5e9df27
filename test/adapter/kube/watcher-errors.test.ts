import { setTimeout as delay } from 'node:timers/promises';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { knownTypes } from '../../../src/kube/resources.js';
import { Watcher } from '../../../src/kube/watcher.js';
import { waitFor } from '../../support/apiserver.js';
import { fakeClusterApi } from '../../support/fake-api.js';

const server = 'https://127.0.0.1:6443';

const path = '/api/v1/namespaces/prod/configmaps';
const emptyList = { kind: 'ConfigMapList', items: [], metadata: { resourceVersion: '10' } };

describe('Watcher error paths (the API server is faked: a real one does not fail on demand)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it('reconnects with growing backoff after 500s and gives up after maxFailures', async () => {
    nock(server)
      .get(path)
      .query(true)
      .times(10)
      .reply(function () {
        const isWatch = new URL(this.req.path, server).searchParams.get('watch') === 'true';
        return isWatch
          ? [500, { reason: 'InternalError', message: 'etcd is sick' }]
          : [200, emptyList];
      });
    const watcher = new Watcher(fakeClusterApi(server), {
      resource: knownTypes.configMaps,
      namespace: 'prod',
      backoffInitialMs: 20,
      maxFailures: 4,
    });
    const delays: number[] = [];
    let gaveUp: Error | undefined;
    watcher.on('reconnect', (_attempt, delayMs) => delays.push(delayMs));
    watcher.on('giveUp', (cause) => {
      gaveUp = cause;
    });
    watcher.start();
    await waitFor('giving up', async () => gaveUp);
    await watcher.stop();
    expect(gaveUp?.message).toMatch(/500 InternalError: etcd is sick/);
    expect(delays).toHaveLength(3);
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(20 * 2 ** i * 0.5);
      expect(ms).toBeLessThanOrEqual(20 * 2 ** i);
    });
  });

  it('re-lists on 410 Gone and replaces the cache with the new list', async () => {
    const lists = [
      {
        ...emptyList,
        items: [{ metadata: { namespace: 'prod', name: 'old', resourceVersion: '5' } }],
      },
      {
        ...emptyList,
        metadata: { resourceVersion: '30' },
        items: [{ metadata: { namespace: 'prod', name: 'new', resourceVersion: '25' } }],
      },
    ];
    const gone = {
      type: 'ERROR',
      object: {
        kind: 'Status',
        code: 410,
        reason: 'Expired',
        message: 'too old resource version: 10 (20)',
      },
    };
    const watchVersions: (string | null)[] = [];
    nock(server)
      .get(path)
      .query(true)
      .times(4)
      .reply(function () {
        const query = new URL(this.req.path, server).searchParams;
        if (query.get('watch') !== 'true') return [200, lists.shift()];
        watchVersions.push(query.get('resourceVersion'));
        return [200, watchVersions.length === 1 ? `${JSON.stringify(gone)}\n` : ''];
      });
    const watcher = new Watcher(fakeClusterApi(server), {
      resource: knownTypes.configMaps,
      namespace: 'prod',
    });
    const seen: string[] = [];
    watcher.on('list', (reason) => seen.push(`list ${reason}`));
    watcher.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    watcher.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    watcher.start();
    await waitFor('the re-list', async () => seen.includes('list gone'));
    await waitFor('the second watch', async () => watchVersions.length >= 2);
    await watcher.stop();
    expect(seen).toEqual(['add old', 'list start', 'add new', 'delete old', 'list gone']);
    expect(watchVersions.slice(0, 2)).toEqual(['10', '30']);
    expect(watcher.list().map((o) => o.metadata?.name)).toEqual(['new']);
  });

  it('backs off instead of spinning when every watch ends at once without events', async () => {
    nock(server)
      .get(path)
      .query(true)
      .reply(function () {
        const isWatch = new URL(this.req.path, server).searchParams.get('watch') === 'true';
        return [200, isWatch ? '' : emptyList];
      })
      .persist();
    const watcher = new Watcher(fakeClusterApi(server), {
      resource: knownTypes.configMaps,
      namespace: 'prod',
      backoffInitialMs: 100,
    });
    const causes: string[] = [];
    const delays: number[] = [];
    watcher.on('reconnect', (_attempt, delayMs, cause) => {
      causes.push(cause?.message ?? '');
      delays.push(delayMs);
    });
    watcher.start();
    // Spinning would re-dial at once, without a reconnect: each one here is a pause taken.
    await waitFor('three reconnects', async () => (causes.length >= 3 ? true : undefined));
    await watcher.stop();
    expect(causes.slice(0, 3)).toEqual(
      Array(3).fill(expect.stringMatching(/ended the watch at once/)),
    );
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(50);
  });

  it('retries a list that failed with a server error instead of giving up', async () => {
    const lists = [
      [500, { reason: 'InternalError', message: 'etcd is sick' }],
      [
        200,
        {
          ...emptyList,
          items: [{ metadata: { namespace: 'prod', name: 'cm', resourceVersion: '10' } }],
        },
      ],
    ];
    nock(server)
      .get(path)
      .query(true)
      .times(6)
      .reply(function () {
        const isWatch = new URL(this.req.path, server).searchParams.get('watch') === 'true';
        return isWatch ? [200, ''] : (lists.shift() ?? [200, emptyList]);
      });
    const watcher = new Watcher(fakeClusterApi(server), {
      resource: knownTypes.configMaps,
      namespace: 'prod',
      backoffInitialMs: 10,
    });
    const causes: string[] = [];
    watcher.on('reconnect', (_attempt, _delay, cause) => causes.push(cause?.message ?? ''));
    watcher.start();
    await waitFor('the object after the failed list', async () => watcher.get('prod', 'cm'));
    await watcher.stop();
    expect(causes[0]).toMatch(/500 InternalError: etcd is sick/);
  });

  it('watches again from the resourceVersion of the last bookmark', async () => {
    const watchVersions: (string | null)[] = [];
    nock(server)
      .get(path)
      .query(true)
      .times(3)
      .reply(function () {
        const query = new URL(this.req.path, server).searchParams;
        if (query.get('watch') !== 'true') return [200, emptyList];
        watchVersions.push(query.get('resourceVersion'));
        const events = [
          {
            type: 'ADDED',
            object: { metadata: { namespace: 'prod', name: 'cm', resourceVersion: '11' } },
          },
          { type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } },
        ];
        return [
          200,
          watchVersions.length === 1 ? events.map((e) => `${JSON.stringify(e)}\n`).join('') : '',
        ];
      });
    const watcher = new Watcher(fakeClusterApi(server), {
      resource: knownTypes.configMaps,
      namespace: 'prod',
    });
    watcher.start();
    await waitFor('the second watch', async () => watchVersions.length >= 2);
    await watcher.stop();
    expect(watchVersions.slice(0, 2)).toEqual(['10', '15']);
    expect(watcher.list().map((o) => o.metadata?.name)).toEqual(['cm']);
  });

  it('sends the bearer token and keeps watching after an ERROR event that is not 410', async () => {
    let watches = 0;
    nock(server, { reqheaders: { authorization: 'Bearer secret-token' } })
      .get(path)
      .query(true)
      .times(6)
      .reply(function () {
        const isWatch = new URL(this.req.path, server).searchParams.get('watch') === 'true';
        if (!isWatch) return [200, emptyList];
        watches += 1;
        const event =
          watches === 1
            ? { type: 'ERROR', object: { kind: 'Status', code: 500, message: 'boom' } }
            : {
                type: 'ADDED',
                object: { metadata: { namespace: 'prod', name: 'cm', resourceVersion: '11' } },
              };
        return [200, `${JSON.stringify(event)}\n`];
      });
    const watcher = new Watcher(fakeClusterApi(server), {
      resource: knownTypes.configMaps,
      namespace: 'prod',
      backoffInitialMs: 10,
    });
    const causes: string[] = [];
    watcher.on('reconnect', (_attempt, _delay, cause) => causes.push(cause?.message ?? ''));
    watcher.start();
    await waitFor('the object after the error', async () => watcher.get('prod', 'cm'));
    await watcher.stop();
    expect(causes[0]).toMatch(/server error 500: boom/);
  });

  it('stops at once when stop() comes as the first list is handed out', async () => {
    nock(server)
      .get(path)
      .query((query) => query.watch !== 'true')
      .reply(200, emptyList)
      .persist();
    // A watch that would answer only after 10 minutes: only an abort ends it sooner.
    nock(server)
      .get(path)
      .query((query) => query.watch === 'true')
      .delay(600_000)
      .reply(200, '');
    const watcher = new Watcher(fakeClusterApi(server), {
      resource: knownTypes.configMaps,
      namespace: 'prod',
    });
    let stopped: Promise<void> | undefined;
    // As a caller that stops once the cache is filled: stop() runs before the watch is opened.
    watcher.on('list', () => {
      stopped = watcher.stop();
    });
    watcher.start();
    await waitFor('the first list', async () => stopped !== undefined);
    const outcome = await Promise.race([stopped?.then(() => 'stopped'), delay(10_000, 'hung')]);
    expect(outcome).toBe('stopped');
  });
});
