import nock from 'nock';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/api-server.js';
import type { ResourceType } from '../../../src/kube/resources.js';
import { startSimulatorWatch } from '../../../src/playground/simulator-watch.js';
import { waitFor } from '../../support/apiserver.js';
import { fakeClusterApi } from '../../support/fake-api.js';

const server = 'https://127.0.0.1:6443';
const path = '/apis/split.smi-spec.io/v1alpha2/trafficsplits';
const trafficSplits: ResourceType = {
  group: 'split.smi-spec.io',
  version: 'v1alpha2',
  plural: 'trafficsplits',
  kind: 'TrafficSplit',
  namespaced: true,
};
const logger = pino({ level: 'silent' });

const split = (name: string, resourceVersion: string) => ({
  metadata: { namespace: 'ns', name, resourceVersion },
});
const event = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

describe('startSimulatorWatch (the API server is faked, to script absent types)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it('reports synced when the type is not served', async () => {
    nock(server)
      .get(path)
      .query(true)
      .reply(404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' });
    const { watcher, synced } = startSimulatorWatch<KubeObject>(
      fakeClusterApi(server),
      trafficSplits,
      {},
      logger,
    );
    await synced;
    await watcher.stop();
    expect(watcher.list()).toEqual([]);
  });

  it('hands adds and updates to onChange and deletes to onDelete, synced after the list', async () => {
    let watches = 0;
    nock(server)
      .get(path)
      .query(true)
      .times(3)
      .reply(function () {
        const isWatch = new URL(this.req.path, server).searchParams.get('watch') === 'true';
        if (!isWatch) {
          return [200, { items: [split('a', '5')], metadata: { resourceVersion: '7' } }];
        }
        watches += 1;
        if (watches > 1) return [200, ''];
        return [
          200,
          event('ADDED', split('b', '8')) +
            event('MODIFIED', split('a', '9')) +
            event('DELETED', split('b', '10')),
        ];
      });
    const changes: string[] = [];
    const deletes: string[] = [];
    const { watcher, synced } = startSimulatorWatch<KubeObject>(
      fakeClusterApi(server),
      trafficSplits,
      {
        onChange: (o) => changes.push(`${o.metadata?.name}@${o.metadata?.resourceVersion}`),
        onDelete: (o) => deletes.push(o.metadata?.name ?? ''),
      },
      logger,
    );
    await synced;
    expect(changes).toEqual(['a@5']);
    await waitFor('the watch events', async () => deletes.length > 0);
    await watcher.stop();
    expect(changes).toEqual(['a@5', 'b@8', 'a@9']);
    expect(deletes).toEqual(['b']);
    expect(watcher.list().map((o) => o.metadata?.name)).toEqual(['a']);
  });
});
