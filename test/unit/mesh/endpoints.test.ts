import { describe, expect, it } from 'vitest';
import {
  EndpointSliceIndex,
  type EndpointSliceObject,
  resolveEndpoints,
} from '../../../src/playground/mesh/endpoints.js';

function slice(name: string, service: string, ips: string[], portName = ''): EndpointSliceObject {
  return {
    metadata: { name, namespace: 'prod', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: portName, port: 9000 }],
  };
}

describe('EndpointSliceIndex', () => {
  it('groups slices by the Service named in their label and forgets deleted ones', () => {
    const index = new EndpointSliceIndex();
    index.set(slice('api-a', 'api', ['127.1.0.1']));
    index.set(slice('api-b', 'api', ['127.1.0.2']));
    index.set(slice('web-a', 'web', ['127.1.0.3']));
    expect([...index.slicesOf('prod', 'api')].map((s) => s.metadata?.name)).toEqual([
      'api-a',
      'api-b',
    ]);
    index.delete(slice('api-a', 'api', []));
    expect([...index.slicesOf('prod', 'api')].map((s) => s.metadata?.name)).toEqual(['api-b']);
    expect([...index.slicesOf('other', 'api')]).toEqual([]);
  });

  it('moves a slice whose service label changed', () => {
    const index = new EndpointSliceIndex();
    index.set(slice('s', 'api', ['127.1.0.1']));
    index.set(slice('s', 'web', ['127.1.0.1']));
    expect([...index.slicesOf('prod', 'api')]).toEqual([]);
    expect([...index.slicesOf('prod', 'web')]).toHaveLength(1);
  });
});

describe('resolveEndpoints', () => {
  const service = {
    metadata: { name: 'api', namespace: 'prod' },
    spec: { ports: [{ port: 8080 }] },
  };

  it('matches an unnamed Service port to the slice port and counts an address once', () => {
    const result = resolveEndpoints(
      service,
      [slice('a', 'api', ['127.1.0.1']), slice('b', 'api', ['127.1.0.1', '127.1.0.2'])],
      8080,
    );
    expect(result).toEqual({
      ok: true,
      endpoints: [
        { ip: '127.1.0.1', port: 9000, pod: undefined },
        { ip: '127.1.0.2', port: 9000, pod: undefined },
      ],
    });
  });

  it('ignores slices without the Service port name', () => {
    expect(resolveEndpoints(service, [slice('a', 'api', ['127.1.0.1'], 'metrics')], 8080)).toEqual({
      ok: true,
      endpoints: [],
    });
  });
});
