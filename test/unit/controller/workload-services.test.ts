import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  APPLIED_METADATA_ANNOTATION,
  overriddenKeys,
  type ServiceSettings,
  serviceChange,
  servicePorts,
  workloadServices,
} from '../../../src/controller/workload/services.js';
import { apiNames, apiRollout, rolloutOwner } from '../../support/workload-fixtures.js';

function target(containers: unknown[] = [{ name: 'api', image: 'api:2' }]): V1Deployment {
  return {
    metadata: { name: 'api', namespace: 'prod' },
    spec: {
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: { containers: containers as never },
      },
    },
  };
}

const base: ServiceSettings = { port: 8080, targetPort: 'http' };

describe('workloadServices', () => {
  const {
    services: [apex, primary, canary],
  } = workloadServices(target(), apiNames, base, apiRollout);

  it('keeps each Service for the Rollout, not owned by it', () => {
    for (const kept of [apex, primary, canary]) {
      expect(kept?.metadata?.ownerReferences).toBeUndefined();
      expect(kept?.metadata?.annotations?.['fledge.dev/rollout-uid']).toBe('uid-1');
    }
  });

  it('sends the apex and the primary Service to primary pods', () => {
    expect(apex?.metadata?.name).toBe('api');
    expect(apex?.spec?.selector).toEqual({ app: 'api-primary' });
    expect(primary?.metadata?.name).toBe('api-primary');
    expect(primary?.spec?.selector).toEqual({ app: 'api-primary' });
  });

  it("sends the canary Service to the target's pods", () => {
    expect(canary?.metadata?.name).toBe('api-canary');
    expect(canary?.spec?.selector).toEqual({ app: 'api' });
    expect(canary?.spec?.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
    ]);
  });

  it("gives each Service its own labels and annotations, under fledge's own", () => {
    const { services } = workloadServices(
      target(),
      apiNames,
      {
        ...base,
        apex: { labels: { tier: 'edge', 'fledge.dev/managed': 'no' }, annotations: { a: '1' } },
        canary: { annotations: { 'linkerd.io/x': 'y' } },
      },
      apiRollout,
    );
    expect(services.map((s) => s.metadata?.labels)).toEqual([
      { tier: 'edge', 'fledge.dev/managed': 'true' },
      { 'fledge.dev/managed': 'true' },
      { 'fledge.dev/managed': 'true' },
    ]);
    expect(services.map((s) => s.metadata?.annotations)).toEqual([
      {
        a: '1',
        [APPLIED_METADATA_ANNOTATION]: '{"labels":["tier"],"annotations":["a"]}',
        'fledge.dev/rollout': 'api',
        'fledge.dev/rollout-uid': 'uid-1',
      },
      { 'fledge.dev/rollout': 'api', 'fledge.dev/rollout-uid': 'uid-1' },
      {
        'linkerd.io/x': 'y',
        [APPLIED_METADATA_ANNOTATION]: '{"labels":[],"annotations":["linkerd.io/x"]}',
        'fledge.dev/rollout': 'api',
        'fledge.dev/rollout-uid': 'uid-1',
      },
    ]);
  });

  it("names the user's keys that fledge's own override", () => {
    expect(
      overriddenKeys({
        ...base,
        primary: {
          labels: { 'fledge.dev/managed': 'no' },
          annotations: { [APPLIED_METADATA_ANNOTATION]: 'x' },
        },
      }),
    ).toEqual([
      'spec.service.primary.labels.fledge.dev/managed',
      `spec.service.primary.annotations.${APPLIED_METADATA_ANNOTATION}`,
    ]);
  });
});

describe('servicePorts', () => {
  const app = (ports: unknown[], name = 'app') => ({ name, image: 'podinfo', ports });

  it.each([
    ['the main port named http by default', base, [], [['http', 8080, 'http', 'TCP']], []],
    [
      'the main port under portName',
      { ...base, portName: 'grpc', targetPort: 9898 },
      [],
      [['grpc', 8080, 9898, 'TCP']],
      [],
    ],
    [
      'no other port without portDiscovery',
      { ...base, targetPort: 9898 },
      [app([{ containerPort: 9898 }, { containerPort: 9797, name: 'metrics' }])],
      [['http', 8080, 9898, 'TCP']],
      [],
    ],
    [
      'every other declared port with portDiscovery, the main one by number left out',
      { ...base, targetPort: 9898, portDiscovery: true },
      [
        app([
          { containerPort: 9898, name: 'http' },
          { containerPort: 9797, name: 'metrics' },
          { containerPort: 9999 },
        ]),
        app([{ containerPort: 53, protocol: 'UDP' }], 'dns'),
      ],
      [
        ['http', 8080, 9898, 'TCP'],
        ['metrics', 9797, 9797, 'TCP'],
        ['tcp-app-2', 9999, 9999, 'TCP'],
        ['tcp-dns-0', 53, 53, 'UDP'],
      ],
      [],
    ],
    [
      'the main one left out by name',
      { ...base, targetPort: 'http', portDiscovery: true },
      [
        app([
          { containerPort: 9898, name: 'http' },
          { containerPort: 9797, name: 'metrics' },
        ]),
      ],
      [
        ['http', 8080, 'http', 'TCP'],
        ['metrics', 9797, 9797, 'TCP'],
      ],
      [],
    ],
    [
      "the mesh proxy's ports left out",
      { ...base, targetPort: 9898, portDiscovery: true },
      [app([{ containerPort: 4191, name: 'linkerd-admin' }], 'linkerd-proxy')],
      [['http', 8080, 9898, 'TCP']],
      [],
    ],
    [
      'a port that clashes in name or number skipped and said',
      { ...base, port: 80, targetPort: 9898, portDiscovery: true },
      [
        app([
          { containerPort: 9797, name: 'http' },
          { containerPort: 80, name: 'web' },
        ]),
      ],
      [['http', 80, 9898, 'TCP']],
      [
        'port 9797/TCP of container app: clashes with Service port http (80/TCP)',
        'port 80/TCP of container app: clashes with Service port http (80/TCP)',
      ],
    ],
    [
      'an unnamed port whose generated name is too long skipped and said',
      { ...base, targetPort: 9898, portDiscovery: true },
      [app([{ containerPort: 1 }], 'c'.repeat(63))],
      [['http', 8080, 9898, 'TCP']],
      [expect.stringMatching(/is not a Service port name; name the container port$/)],
    ],
  ])('exposes %s', (_case, settings, containers, ports, skipped) => {
    const result = servicePorts(target(containers), settings as ServiceSettings);
    expect(result.ports.map((p) => [p.name, p.port, p.targetPort, p.protocol])).toEqual(ports);
    expect(result.skipped).toEqual(skipped);
  });
});

describe('serviceChange', () => {
  const desiredWith = (settings: Partial<ServiceSettings>, containers?: unknown[]) =>
    workloadServices(target(containers), apiNames, { ...base, ...settings }, apiRollout)
      .services[0] as V1Service;
  const existing = (service: V1Service, extra: { labels?: object; annotations?: object } = {}) =>
    ({
      ...service,
      metadata: {
        ...service.metadata,
        resourceVersion: '7',
        labels: { ...service.metadata?.labels, ...extra.labels },
        annotations: { ...service.metadata?.annotations, ...extra.annotations },
      },
    }) as V1Service;

  it('changes nothing on a Service as wanted, whatever others added', () => {
    const desired = desiredWith({ apex: { labels: { tier: 'edge' } } });
    const found = existing(desired, {
      labels: { 'other.io/x': '1' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    });
    expect(serviceChange(found, desired)).toBeUndefined();
  });

  it.each<[string, Partial<ServiceSettings>, Partial<ServiceSettings>, object, object?]>([
    [
      'adds a new label and annotation, with the record of what fledge wrote',
      {},
      { apex: { labels: { tier: 'edge' }, annotations: { a: '1' } } },
      {
        labels: { tier: 'edge' },
        annotations: {
          a: '1',
          [APPLIED_METADATA_ANNOTATION]: '{"labels":["tier"],"annotations":["a"]}',
        },
      },
    ],
    [
      "removes a label the user removed, and the record when nothing is left, never another's",
      { apex: { labels: { tier: 'edge' } } },
      {},
      { labels: { tier: null }, annotations: { [APPLIED_METADATA_ANNOTATION]: null } },
    ],
    [
      'removes an annotation the user removed, keeping the others',
      { apex: { annotations: { a: '1', b: '2' } } },
      { apex: { annotations: { b: '3' } } },
      {
        annotations: {
          a: null,
          b: '3',
          [APPLIED_METADATA_ANNOTATION]: '{"labels":[],"annotations":["b"]}',
        },
      },
    ],
    [
      "puts fledge's own label back when someone changed it",
      {},
      {},
      { labels: { 'fledge.dev/managed': 'true' } },
      { labels: { 'fledge.dev/managed': 'false' } },
    ],
  ])('%s', (_case, before, after, metadata, tampered: { labels?: object } = {}) => {
    const found = existing(desiredWith(before), {
      labels: { 'other.io/x': '1', ...tampered.labels },
      annotations: { 'other.io/y': '2' },
    });
    expect(serviceChange(found, desiredWith(after))).toEqual({
      metadata: { resourceVersion: '7', ...metadata },
    });
  });

  it('replaces the ports and selector as a whole', () => {
    const desired = desiredWith({ portDiscovery: true, targetPort: 9898 }, [
      { name: 'app', ports: [{ containerPort: 9898 }, { containerPort: 9797, name: 'metrics' }] },
    ]);
    const found = existing(desiredWith({ targetPort: 9898 }));
    found.spec = { ...found.spec, selector: { app: 'old' } };
    expect(serviceChange(found, desired)).toEqual({
      metadata: { resourceVersion: '7' },
      spec: { selector: { app: 'api-primary' }, ports: desired.spec?.ports },
    });
  });

  it('ignores a record that is not what fledge writes', () => {
    const desired = desiredWith({});
    const found = existing(desired, { annotations: { [APPLIED_METADATA_ANNOTATION]: '{nope' } });
    expect(serviceChange(found, desired)).toEqual({
      metadata: { resourceVersion: '7', annotations: { [APPLIED_METADATA_ANNOTATION]: null } },
    });
  });

  it("takes the Rollout's ownerReference off an apex Service an older fledge owned, keeping others'", () => {
    const desired = desiredWith({});
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'uid-x' };
    const found = existing(desired);
    found.metadata = { ...found.metadata, ownerReferences: [rolloutOwner, other] };
    expect(serviceChange(found, desired)).toEqual({
      metadata: { resourceVersion: '7', ownerReferences: [other] },
    });
    found.metadata = { ...found.metadata, ownerReferences: [rolloutOwner] };
    expect(serviceChange(found, desired)).toEqual({
      metadata: { resourceVersion: '7', ownerReferences: null },
    });
  });
});
