import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiServer, type KubeObject } from '../../../src/kube/api-server.js';
import { loadKubeConfig } from '../../../src/kube/kubeconfig.js';
import { endpointSliceTypes, knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { startControlPlane } from '../../../src/playground/control-plane.js';

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the playground's kube-controller-manager", () => {
  it('makes EndpointSlices for loopback pods and no Endpoints it cannot write', async () => {
    // The API server refuses loopback addresses in Endpoints, so the endpoint controller
    // failed for every Service with a pod, retried forever and sent a Warning each time: at
    // 10,000 Rollouts it kept kube-controller-manager at 170% of a core after all settled.
    const stateDir = await mkdtemp(path.join(tmpdir(), 'fledge-kcm-'));
    stops.push(() => rm(stateDir, { recursive: true, force: true }));
    const plane = await startControlPlane({
      stateDir,
      etcdInMemory: true,
      logger: pino({ level: 'silent' }),
    });
    stops.push(plane.stop);
    const api = new ApiServer(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
    stops.push(async () => api.close());
    const namespace = 'default';
    await new ResourceClient(api, knownTypes.services).create({
      metadata: { namespace, name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    } as never);
    // The EndpointSlice controller reads the pod's node (for its topology) or skips the Service.
    await new ResourceClient(api, {
      group: '',
      version: 'v1',
      plural: 'nodes',
      kind: 'Node',
      namespaced: false,
    }).create({ metadata: { name: 'node-1' } } as never);
    const pods = new ResourceClient(api, knownTypes.pods);
    await pods.create({
      metadata: { namespace, name: 'web-1', labels: { app: 'web' } },
      spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'fledge/demo:1.0.0' }] },
    } as never);
    await pods.mergePatch(
      namespace,
      'web-1',
      {
        status: {
          phase: 'Running',
          podIP: '127.0.0.5',
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      } as never,
      'status',
    );

    const slices = new ResourceClient<{
      endpoints?: Array<{ addresses?: string[] }>;
      metadata?: { name?: string };
    }>(api, endpointSliceTypes[1] as (typeof endpointSliceTypes)[number]);
    const deadline = Date.now() + 60_000;
    let addresses: string[] = [];
    while (Date.now() < deadline) {
      const listed = await slices.list(namespace, {
        labelSelector: 'kubernetes.io/service-name=web',
      });
      addresses = listed.items.flatMap((s) => s.endpoints ?? []).flatMap((e) => e.addresses ?? []);
      if (addresses.length > 0) break;
      await sleep(250);
    }
    expect(addresses).toEqual(['127.0.0.5']);
    // The endpoint controller works on the same Service at the same time; its Warning comes
    // through the event broadcaster, batched, within a few seconds.
    const events = new ResourceClient<KubeObject & { reason?: string }>(api, knownTypes.events);
    const quietUntil = Date.now() + 8_000;
    while (Date.now() < quietUntil) {
      const reasons = (await events.list(namespace)).items.map((e) => e.reason);
      expect(reasons).not.toContain('FailedToCreateEndpoint');
      await sleep(500);
    }
  }, 120_000);
});
