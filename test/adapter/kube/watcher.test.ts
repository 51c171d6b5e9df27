import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/api-server.js';
import { ApiServer } from '../../../src/kube/api-server.js';
import { withoutManagedFields } from '../../../src/kube/managed-fields.js';
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
function record(options: WatcherOptions, api = cluster().api) {
  const watcher = new Watcher(api, options);
  const seen: string[] = [];
  const lists: RelistReason[] = [];
  const connects: string[] = [];
  const idle: number[] = [];
  const missing: Error[] = [];
  const name = (o: KubeObject) => o.metadata?.name ?? '';
  watcher
    .on('add', (o) => seen.push(`add ${name(o)}`))
    .on('update', (o) => seen.push(`update ${name(o)}`))
    .on('delete', (o) => seen.push(`delete ${name(o)}`))
    .on('list', (reason) => lists.push(reason))
    .on('connect', (rv) => connects.push(rv))
    .on('idle', (silentMs) => idle.push(silentMs))
    .on('missing', (cause) => missing.push(cause));
  return { watcher, seen, lists, connects, idle, missing };
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

  it('keeps of a new version only what changed: the rest is the cached version itself', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const configMaps = new ResourceClient(api, knownTypes.configMaps);
    const data = { big: 'x'.repeat(4096), small: '1' };
    await configMaps.create({
      ...configMap(namespace, 'shared', data),
      metadata: { namespace, name: 'shared', labels: { app: 'a' } },
    });
    const { watcher, seen } = record({ resource: knownTypes.configMaps, namespace });
    watcher.start();
    try {
      await waitFor('the initial list', async () => seen.includes('add shared'));
      const before = watcher.get(namespace, 'shared') as {
        data: Record<string, string>;
        metadata: { labels: object };
      };
      await configMaps.mergePatch(namespace, 'shared', { data: { small: '2' } });
      await waitFor('the update', async () => seen.includes('update shared'));
      const after = watcher.get(namespace, 'shared') as typeof before;
      expect(after.data).toEqual({ big: data.big, small: '2' });
      expect(after.metadata.labels).toBe(before.metadata.labels);
      expect(after.data).not.toBe(before.data);
      expect(after.data.big).toBe(before.data.big);
    } finally {
      await watcher.stop();
    }
  });

  it("caches a version the caller already holds (its own write) as that copy's parts", async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const configMaps = new ResourceClient(api, knownTypes.configMaps);
    await configMaps.create(configMap(namespace, 'written', { step: '1' }));
    const written = withoutManagedFields(
      await configMaps.mergePatch(namespace, 'written', { data: { step: '2' } }),
    );
    let held: KubeObject = written;
    const { watcher, seen } = record({
      resource: knownTypes.configMaps,
      namespace,
      heldCopy: () => held,
    });
    watcher.start();
    try {
      await waitFor('the list', async () => seen.includes('add written'));
      // A listed ConfigMap comes without apiVersion and kind: the rest is the held copy's.
      const cached = watcher.get(namespace, 'written') as typeof written & { data: object };
      expect(cached.metadata).toBe(written.metadata);
      expect(cached.data).toBe((written as typeof cached).data);
      // A copy of another version is not taken for this one.
      held = {
        ...written,
        metadata: { ...written.metadata, resourceVersion: '1' },
        data: { step: '0' },
      };
      await configMaps.mergePatch(namespace, 'written', { data: { step: '3' } });
      await waitFor('the update', async () => seen.includes('update written'));
      const updated = watcher.get(namespace, 'written') as typeof cached;
      expect(updated.data).toEqual({ step: '3' });
      expect(updated.metadata).not.toBe(held.metadata);
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

  it('opens the watch again from where it was, without a list, when nothing arrived within the watchdog time', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const { watcher, lists, connects, idle, seen } = record({
      resource: knownTypes.configMaps,
      namespace,
      watchTimeoutSeconds: 60,
      watchdogMs: 800,
    });
    watcher.start();
    try {
      await waitFor('the watchdog', async () => idle.length > 0, { timeoutMs: 5_000 });
      await waitFor('the watch opened again', async () => connects.length >= 2);
      expect(connects[1]).toBe(connects[0]);
      await new ResourceClient(api, knownTypes.configMaps).create(configMap(namespace, 'late'));
      await waitFor('the add after the watchdog', async () => seen.includes('add late'));
      expect(lists).toEqual(['start']);
    } finally {
      await watcher.stop();
    }
  });

  it('lists in pages and caches every page', async () => {
    const { kc, createNamespace } = cluster();
    const namespace = await createNamespace();
    const configMaps = new ResourceClient(cluster().api, knownTypes.configMaps);
    for (let i = 0; i < 7; i++) await configMaps.create(configMap(namespace, `page-${i}`));
    const lists: string[] = [];
    const api = new ApiServer(kc, 'test', (method, path) => {
      if (method === 'GET' && path.endsWith('/configmaps')) lists.push(path);
    });
    const { watcher, connects } = record(
      { resource: knownTypes.configMaps, namespace, pageSize: 3 },
      api,
    );
    watcher.start();
    try {
      await waitFor('the watch after the list', async () => connects.length > 0);
      expect(watcher.list()).toHaveLength(7);
      // Three pages for seven objects, and the watch, which has the same path.
      expect(lists.length).toBe(4);
    } finally {
      await watcher.stop();
      api.close();
    }
  });

  it('lists and watches metadata only, never the data, and drops managedFields', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const secrets = new ResourceClient(api, knownTypes.secrets);
    await secrets.create({ metadata: { namespace, name: 'listed' }, stringData: { key: 'one' } });
    const { watcher, seen } = record({
      resource: knownTypes.secrets,
      namespace,
      metadataOnly: true,
    });
    watcher.start();
    try {
      await waitFor('the list', async () => seen.includes('add listed'));
      await secrets.create({ metadata: { namespace, name: 'watched' }, stringData: { k: 'two' } });
      await secrets.mergePatch(namespace, 'watched', { stringData: { k: 'three' } });
      await waitFor('the update', async () => seen.includes('update watched'));
      for (const name of ['listed', 'watched']) {
        const cached = watcher.get(namespace, name);
        expect(cached?.metadata?.resourceVersion).toMatch(/^\d+$/);
        expect(cached).not.toHaveProperty('data');
        expect(cached).not.toHaveProperty('stringData');
        expect(cached?.metadata).not.toHaveProperty('managedFields');
        expect(cached?.kind).toBe('PartialObjectMetadata');
      }
    } finally {
      await watcher.stop();
    }
  });

  it('reports objects it does not keep, and caches only those it keeps, in their transformed form', async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    const configMaps = new ResourceClient(api, knownTypes.configMaps);
    await configMaps.create(configMap(namespace, 'kept-1', { a: '1' }));
    await configMaps.create(configMap(namespace, 'other-1', { a: '1' }));
    const { watcher, seen } = record({
      resource: knownTypes.configMaps,
      namespace,
      transform: (object) => ({ metadata: object.metadata, keys: Object.keys(object.data ?? {}) }),
      keep: (object) => object.metadata?.name?.startsWith('kept') ?? false,
    });
    watcher.start();
    try {
      await waitFor('the list', async () => watcher.hasSynced);
      await configMaps.create(configMap(namespace, 'other-2'));
      await waitFor('the add', async () => seen.includes('add other-2'));
      expect(seen).toContain('add other-1');
      expect(watcher.list().map((o) => o.metadata?.name)).toEqual(['kept-1']);
      expect(watcher.get(namespace, 'kept-1')).toEqual({
        metadata: expect.objectContaining({ name: 'kept-1' }),
        keys: ['a'],
      });
      expect(watcher.get(namespace, 'kept-1')?.metadata).not.toHaveProperty('managedFields');
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
