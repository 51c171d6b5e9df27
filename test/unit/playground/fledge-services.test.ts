import { describe, expect, it } from 'vitest';
import { loadtesterObjects } from '../../../src/playground/fledge-services.js';
import {
  type EndpointSliceObject,
  resolveEndpoints,
  type ServiceObject,
} from '../../../src/playground/mesh/endpoints.js';

describe('loadtesterObjects', () => {
  const objects = loadtesterObjects(41234);
  const service = objects.find((o) => o.kind === 'Service') as unknown as ServiceObject & {
    spec: { selector?: unknown };
  };
  const slice = objects.find((o) => o.kind === 'EndpointSlice') as unknown as EndpointSliceObject;

  it('makes the namespace before what lives in it', () => {
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'Service', 'EndpointSlice']);
  });

  it('routes port 80 of fledge-loadtester.fledge-system to the loadtester on 127.0.0.1, as the mesh reads it', () => {
    expect(service.metadata).toMatchObject({
      name: 'fledge-loadtester',
      namespace: 'fledge-system',
    });
    expect(service.spec.selector).toBeUndefined();
    expect(resolveEndpoints(service, [slice], 80)).toEqual({
      ok: true,
      endpoints: [{ ip: '127.0.0.1', port: 41234, pod: undefined }],
    });
  });
});
