import { describe, expect, it } from 'vitest';
import { resolveEndpoints } from '../../../src/playground/mesh/endpoints.js';
import { MeshState } from '../../../src/playground/mesh/mesh-state.js';
import {
  type MirrorService,
  mirrorObjects,
  planMirrors,
} from '../../../src/playground/multicluster/mirror-objects.js';

const gateway = { ip: '127.0.0.1', port: 4143, identity: 'linkerd-gateway#east' };

function exported(name: string, ports = [{ name: 'http', port: 8080 }], rv = '7'): MirrorService {
  return {
    metadata: {
      name,
      namespace: 'shop',
      resourceVersion: rv,
      labels: { 'mirror.linkerd.io/exported': 'true' },
    },
    spec: { ports, selector: { app: name } },
  };
}

describe('mirrorObjects', () => {
  it('names the mirror <service>-<cluster> with the labels and annotations of Linkerd', () => {
    const { service, slice } = mirrorObjects(exported('api'), 'east', gateway);
    expect(service.metadata).toMatchObject({
      name: 'api-east',
      namespace: 'shop',
      labels: {
        'mirror.linkerd.io/mirrored-service': 'true',
        'mirror.linkerd.io/cluster-name': 'east',
      },
      annotations: {
        'mirror.linkerd.io/remote-svc-fq-name': 'api.shop.svc.cluster.local',
        'mirror.linkerd.io/remote-resource-version': '7',
      },
    });
    expect(service.spec?.selector).toBeUndefined();
    expect(slice.metadata.labels?.['kubernetes.io/service-name']).toBe('api-east');
  });

  it('points every port of the mirror at the gateway, which the mesh resolves', () => {
    const ports = [
      { name: 'http', port: 8080 },
      { name: 'grpc', port: 9090 },
    ];
    const { service, slice } = mirrorObjects(exported('api', ports), 'east', gateway);
    for (const port of [8080, 9090]) {
      expect(resolveEndpoints(service, [slice], port)).toEqual({
        ok: true,
        endpoints: [{ ip: '127.0.0.1', port: 4143, pod: undefined }],
      });
    }
  });

  it('makes the mesh send the remote Service as authority to the gateway', () => {
    const { service, slice } = mirrorObjects(exported('api'), 'east', gateway);
    const state = new MeshState({
      service: (namespace, name) =>
        namespace === 'shop' && name === 'api-east' ? service : undefined,
      endpointSlices: (_, name) => (name === 'api-east' ? [slice] : []),
      pod: () => undefined,
      routingObjects: () => [],
    });
    const decision = state.decide(
      { service: 'api-east', namespace: 'shop', port: 8080 },
      { path: '/', method: 'GET', headers: {} },
    );
    expect(decision).toMatchObject({
      kind: 'forward',
      endpoint: { ip: '127.0.0.1', port: 4143 },
      destination: { service: 'api-east', namespace: 'shop' },
      authorityOverride: 'api.shop.svc.cluster.local:8080',
    });
  });
});

describe('planMirrors', () => {
  const all = new Set(['shop']);
  const mirrorOf = (remote: MirrorService) => mirrorObjects(remote, 'east', gateway);
  const sliceKeys = (...names: string[]) => new Set(names.map((n) => `shop/${n}`));

  it('creates a mirror for an exported Service in an existing namespace', () => {
    const plan = planMirrors([exported('api')], [], new Set(), all, 'east', gateway);
    expect(plan.apply.map((a) => [a.service.metadata.name, a.exists])).toEqual([
      ['api-east', false],
    ]);
  });

  it('skips a Service whose namespace does not exist here, without creating the namespace', () => {
    const plan = planMirrors([exported('api')], [], new Set(), new Set(['other']), 'east', gateway);
    expect(plan.apply).toEqual([]);
    expect(plan.skipped).toEqual([{ namespace: 'shop', name: 'api' }]);
  });

  it('leaves an up-to-date mirror alone', () => {
    const current = mirrorOf(exported('api')).service;
    const plan = planMirrors(
      [exported('api')],
      [current],
      sliceKeys('api-east'),
      all,
      'east',
      gateway,
    );
    expect(plan).toEqual({ apply: [], remove: [], skipped: [] });
  });

  it('updates a mirror when the exported Service changes its ports', () => {
    const current = mirrorOf(exported('api')).service;
    const changed = exported('api', [{ name: 'http', port: 9999 }], '8');
    const plan = planMirrors([changed], [current], sliceKeys('api-east'), all, 'east', gateway);
    expect(plan.apply.map((a) => [a.service.spec?.ports?.[0]?.port, a.exists])).toEqual([
      [9999, true],
    ]);
  });

  it('rewrites a mirror whose EndpointSlice is missing', () => {
    const current = mirrorOf(exported('api')).service;
    const plan = planMirrors([exported('api')], [current], new Set(), all, 'east', gateway);
    expect(plan.apply).toHaveLength(1);
  });

  it('removes the mirror of a Service that is no longer exported or is gone', () => {
    const unexported = exported('api');
    unexported.metadata.labels = {};
    const mirrors = [mirrorOf(exported('api')).service, mirrorOf(exported('web')).service];
    const plan = planMirrors(
      [unexported],
      mirrors,
      sliceKeys('api-east', 'web-east'),
      all,
      'east',
      gateway,
    );
    expect(plan.remove).toEqual([
      { namespace: 'shop', name: 'api-east' },
      { namespace: 'shop', name: 'web-east' },
    ]);
  });
});
