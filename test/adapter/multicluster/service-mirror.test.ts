import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient, type ResourceType } from '../../../src/kube/resources.js';
import {
  type ServiceMirror,
  startServiceMirror,
} from '../../../src/playground/multicluster/service-mirror.js';
import { useApiServer } from '../../support/apiserver.js';

/**
 * The service mirror against a real API server. One server plays both clusters: the mirror of
 * cluster "west" is written next to the exported Service, as `<svc>-west`.
 */
const cluster = useApiServer();
const gateway = { ip: '127.0.0.1', port: 4143, identity: 'linkerd-gateway#west' };
const sliceType: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1beta1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
};
type Service = KubeObject & {
  spec?: { ports?: Array<{ name?: string; port?: number }> };
};
type Slice = KubeObject & {
  endpoints?: Array<{ addresses?: string[] }>;
  ports?: Array<{ name?: string; port?: number }>;
};

let mirror: ServiceMirror;
let namespace: string;
const services = () => new ResourceClient<Service>(cluster().api, knownTypes.services);
const slices = () => new ResourceClient<Slice>(cluster().api, sliceType);

beforeAll(async () => {
  namespace = await cluster().createNamespace('mirror');
  const west = { name: 'west', api: cluster().api };
  mirror = startServiceMirror({
    target: { ...west, gateway },
    local: { name: 'east', api: cluster().api },
    periodMs: 50,
    logger: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await mirror?.stop();
});

function service(name: string, exported: boolean, port = 8080): Service {
  return {
    metadata: {
      name,
      namespace,
      labels: exported ? { 'mirror.linkerd.io/exported': 'true' } : {},
    },
    spec: { selector: { app: name }, ports: [{ name: 'http', port }] } as Service['spec'],
  };
}

describe('the service mirror', () => {
  it('mirrors an exported Service as <svc>-<cluster> with an EndpointSlice at the gateway', async () => {
    await services().create(service('api', true));
    await services().create(service('private', false));
    await mirror.synced();

    const mirrored = await services().get(namespace, 'api-west');
    expect(mirrored.metadata?.labels).toMatchObject({
      'mirror.linkerd.io/mirrored-service': 'true',
      'mirror.linkerd.io/cluster-name': 'west',
    });
    expect(mirrored.metadata?.annotations?.['mirror.linkerd.io/remote-svc-fq-name']).toBe(
      `api.${namespace}.svc.cluster.local`,
    );
    expect((mirrored.spec as { selector?: unknown }).selector).toBeUndefined();
    const slice = await slices().get(namespace, 'api-west');
    expect(slice.endpoints?.[0]?.addresses).toEqual(['127.0.0.1']);
    expect(slice.ports).toEqual([{ name: 'http', port: 4143, protocol: 'TCP' }]);
    expect(await services().find(namespace, 'private-west')).toBeNull();
  });

  it('follows a port change of the exported Service', async () => {
    await services().mergePatch(namespace, 'api', {
      spec: { ports: [{ name: 'http', port: 9090 }] },
    });
    await mirror.synced();
    const mirrored = await services().get(namespace, 'api-west');
    expect(mirrored.spec?.ports?.map((p) => p.port)).toEqual([9090]);
  });

  it('removes the mirror and its slice when the Service is no longer exported', async () => {
    await services().mergePatch(namespace, 'api', {
      metadata: { labels: { 'mirror.linkerd.io/exported': null } },
    });
    await mirror.synced();
    expect(await services().find(namespace, 'api-west')).toBeNull();
    expect(await slices().find(namespace, 'api-west')).toBeNull();
  });
});
