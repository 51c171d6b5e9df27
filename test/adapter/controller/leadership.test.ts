import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Controller } from '../../../src/controller/controller.js';
import type { StoredRollout } from '../../../src/controller/status-writer.js';
import type { KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';
import { appManifest, rolloutManifest } from '../../support/manifests.js';
import { apiServerThroughProxy } from '../../support/stalling-proxy.js';

const cluster = useApiServer(['rollout', 'trafficSplit']);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A leader-elected controller of `namespace` whose every call to the API server crosses `proxy`. */
async function controllerBehindProxy(namespace: string) {
  const { proxy, api } = await apiServerThroughProxy(cluster().kc);
  const controller = new Controller({
    kc: api.kc,
    log: pino({ level: process.env.LOGLEVEL ?? 'silent' }),
    namespaces: [namespace],
    prometheusUrl: 'http://127.0.0.1:9',
    httpHost: '127.0.0.1',
    httpPort: 0,
    leaderElection: { enabled: true, namespace, name: 'fledge', leaseDurationMs: 3000 },
    resyncMs: 60_000,
    pollMs: 200,
    proxy: undefined,
    concurrency: 2,
  });
  cleanups.push(async () => {
    proxy.resume();
    await controller.stop();
    api.close();
    await proxy.close();
  });
  await controller.start();
  const role = async () => {
    const answer = await fetch(`${controller.url}/readyz`);
    return answer.text();
  };
  return { proxy, role };
}

describe('a controller whose term ends', () => {
  it('stops its rollouts, so that when it leads again it drives them from status in the new term', async () => {
    const namespace = await cluster().createNamespace();
    for (const manifest of [
      appManifest({ name: 'app', namespace }),
      rolloutManifest({ name: 'app', namespace }),
    ]) {
      const object = parse(manifest) as KubeObject;
      const type = object.kind === 'Deployment' ? knownTypes.deployments : knownTypes.rollouts;
      await new ResourceClient(cluster().api, type).create(object);
    }
    const rollouts = new ResourceClient<StoredRollout>(cluster().api, knownTypes.rollouts);
    const stamp = async () => (await rollouts.get(namespace, 'app')).status?.controller;
    const { proxy, role } = await controllerBehindProxy(namespace);
    const first = (await waitFor('the status written in the first term', stamp)).term ?? 0;

    proxy.stall();
    await waitFor('the term to end', async () => (await role()).includes('follower'));
    proxy.resume();

    const next = await waitFor(
      'the status written in a new term',
      async () => {
        const term = (await stamp())?.term;
        return term !== undefined && term > first ? term : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(next).toBeGreaterThan(first);
    expect(await role()).toContain('leader');
  }, 60_000);
});
