import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient, type ResourceType } from '../../../src/kube/resources.js';
import { type RelistReason, Watcher, type WatcherOptions } from '../../../src/kube/watcher.js';
import { applyCrdFile, useApiServer, waitFor } from '../../support/apiserver.js';
import { apiServerThroughProxy } from '../../support/stalling-proxy.js';

const cluster = useApiServer(['trafficSplit']);

const trafficSplits: ResourceType = {
  group: 'split.smi-spec.io',
  version: 'v1alpha2',
  plural: 'trafficsplits',
  kind: 'TrafficSplit',
  namespaced: true,
};

/** A watcher that records what it reports, stopped at the end of the test. */
function record(options: WatcherOptions) {
  const watcher = new Watcher(cluster().api, options);
  const seen: string[] = [];
  const lists: RelistReason[] = [];
  const connects: string[] = [];
  const resyncs: number[] = [];
  const missing: Error[] = [];
  const name = (o: KubeObject) => o.metadata?.name ?? '';
  watcher
    .on('add', (o) => seen.push(`add ${name(o)}`))
    .on('update', (o) => seen.push(`update ${name(o)}`))
    .on('delete', (o) => seen.push(`delete ${name(o)}`))
    .on('list', (reason) => lists.push(reason))
    .on('connect', (rv) => connects.push(rv))
    .on('resync', (objects) => resyncs.push(objects.length))
    .on('missing', (cause) => missing.push(cause));
  return { watcher, seen, lists, connects, resyncs, missing };
}

const configMap = (namespace: string, name: string, data: Record<string, string> = {}) => ({
  metadata: { namespace, name },
  data,
});

describe('Watcher on a real API server', () => {
  it('reports adds, updates and deletes of core objects in one namespace and caches them', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const other = await createNamespace();
    const configMaps = new ResourceClient(api, knownTypes.configMaps);
    await configMaps.create(configMap(namespace, 'before'));
    const { watcher, seen } = record({ resource: knownTypes.configMaps, namespace });
    watcher.start();
    try {
      await waitFor('the initial list', async () => seen.includes('add before'));
      await configMaps.create(configMap(namespace, 'during'));
      await configMaps.create(configMap(other, 'elsewhere'));
      await configMaps.mergePatch(namespace, 'during', { data: { version: '2' } });
      await waitFor('the update', async () => seen.includes('update during'));
      expect(watcher.get(namespace, 'during')?.data).toEqual({ version: '2' });
      await configMaps.delete(namespace, 'before');
      await waitFor('the delete', async () => seen.includes('delete before'));
      expect(watcher.get(namespace, 'before')).toBeUndefined();
      expect(seen).not.toContain('add elsewhere');
      expect(seen.filter((s) => s.endsWith('during'))).toEqual(['add during', 'update during']);
    } finally {
      await watcher.stop();
    }
  });

  it('watches custom resources across all namespaces', async () => {
    const { api, createNamespace } = cluster();
    const [a, b] = [await createNamespace(), await createNamespace()];
    const { watcher, seen } = record({ resource: trafficSplits });
    watcher.start();
    try {
      await waitFor('the initial list', async () => watcher.hasSynced);
      const splits = new ResourceClient(api, trafficSplits);
      const split = (namespace: string) => ({
        metadata: { namespace, name: 'web' },
        spec: { service: 'web', backends: [{ service: 'web-primary', weight: 100 }] },
      });
      await splits.create(split(a));
      await splits.create(split(b));
      await waitFor('both splits', async () => watcher.get(a, 'web') && watcher.get(b, 'web'));
      expect(seen.filter((s) => s === 'add web')).toHaveLength(2);
    } finally {
      await watcher.stop();
    }
  });

  it('reconnects from where it was when the server ends the watch', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const { watcher, seen, connects, lists } = record({
      resource: knownTypes.configMaps,
      namespace,
      watchTimeoutSeconds: 1,
    });
    watcher.start();
    try {
      await waitFor('three connections', async () => connects.length >= 3, { timeoutMs: 10_000 });
      await new ResourceClient(api, knownTypes.configMaps).create(configMap(namespace, 'late'));
      await waitFor('the add after reconnecting', async () => seen.includes('add late'));
      expect(lists).toEqual(['start']);
    } finally {
      await watcher.stop();
    }
  });

  it('re-lists when nothing arrived within the watchdog time', async () => {
    const namespace = await cluster().createNamespace();
    const { watcher, lists } = record({
      resource: knownTypes.configMaps,
      namespace,
      watchTimeoutSeconds: 60,
      watchdogMs: 800,
    });
    watcher.start();
    try {
      await waitFor('the watchdog', async () => lists.includes('watchdog'), { timeoutMs: 5_000 });
    } finally {
      await watcher.stop();
    }
  });

  it('re-lists periodically and hands every cached object to resync', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const configMaps = new ResourceClient(api, knownTypes.configMaps);
    await configMaps.create(configMap(namespace, 'one'));
    await configMaps.create(configMap(namespace, 'two'));
    const { watcher, resyncs } = record({
      resource: knownTypes.configMaps,
      namespace,
      resyncMs: 700,
    });
    watcher.start();
    try {
      await waitFor('two resyncs', async () => resyncs.length >= 2, { timeoutMs: 5_000 });
      expect(resyncs.slice(0, 2)).toEqual([2, 2]);
    } finally {
      await watcher.stop();
    }
  });

  it('reports a resource whose CRD is not installed and picks it up once it is', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const routes: ResourceType = {
      group: 'policy.linkerd.io',
      version: 'v1beta3',
      plural: 'httproutes',
      kind: 'HTTPRoute',
      namespaced: true,
    };
    const { watcher, missing, lists } = record({ resource: routes, missingRetryMs: 300 });
    watcher.start();
    try {
      await waitFor('the missing report', async () => missing.length > 0);
      expect(missing[0]?.message).toMatch(/404/);
      await applyCrdFile(api, path.resolve('src/playground/crds/linkerd-httproute.yaml'));
      await new ResourceClient(api, routes).create({
        metadata: { namespace, name: 'web' },
        spec: { parentRefs: [{ name: 'web', kind: 'Service', group: 'core' }] },
      });
      await waitFor('the route', async () => watcher.get(namespace, 'web'), { timeoutMs: 10_000 });
      expect(lists.length).toBeGreaterThan(0);
    } finally {
      await watcher.stop();
    }
  });

  it('leaves no socket or timer behind after stop()', async () => {
    const namespace = await cluster().createNamespace();
    const handles = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r === 'TCPSocketWrap' || r === 'Timeout' || r === 'TLSWrap').length;
    const before = handles();
    const { watcher, connects } = record({ resource: knownTypes.configMaps, namespace });
    watcher.start();
    // Connected: its socket and timers are open. Counting them against `before` would also count
    // other handles coming and going meanwhile, which failed this test on a busy machine.
    await waitFor('the connection', async () => connects.length > 0);
    await watcher.stop();
    await waitFor('handles to close', async () => handles() <= before, { timeoutMs: 30_000 });
  });

  it('stop() cuts off a list that hangs, and opens no watch', { timeout: 20_000 }, async () => {
    const namespace = await cluster().createNamespace();
    const { proxy, api } = await apiServerThroughProxy(cluster().kc);
    try {
      const watcher = new Watcher(api, { resource: knownTypes.configMaps, namespace });
      proxy.stall();
      watcher.start();
      await waitFor('the list to be on its way', async () => proxy.accepted > 0);
      const dialled = proxy.accepted;
      // Resolves with the list still held by the proxy: nothing waits for its timeout.
      await watcher.stop();
      expect(watcher.hasSynced).toBe(false);
      expect(proxy.accepted).toBe(dialled);
    } finally {
      api.close();
      await proxy.close();
    }
  });
});
