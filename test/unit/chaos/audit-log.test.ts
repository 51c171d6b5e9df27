import { describe, expect, it } from 'vitest';
import { factOf, microsOf, routesOf } from '../../../chaos/audit-log.js';
import { auditLine } from './audit-events.js';

describe('microsOf', () => {
  it.each([
    ['2025-01-01T00:00:00.123456Z', Date.parse('2025-01-01T00:00:00Z') * 1000 + 123456],
    ['2025-01-01T00:00:00.123Z', Date.parse('2025-01-01T00:00:00Z') * 1000 + 123000],
    ['2025-01-01T00:00:00.123456789Z', Date.parse('2025-01-01T00:00:00Z') * 1000 + 123456],
    ['2025-01-01T00:00:01Z', Date.parse('2025-01-01T00:00:01Z') * 1000],
  ])('reads %s to the microsecond', (timestamp, micros) => {
    expect(microsOf(timestamp)).toBe(micros);
  });

  it.each([[undefined], ['yesterday'], ['2025-01-01 00:00:00Z'], [42]])(
    'reads %s as no time',
    (timestamp) => {
      expect(microsOf(timestamp)).toBeUndefined();
    },
  );
});

describe('routesOf', () => {
  it('reads a TrafficSplit v1alpha1 (quantities) and v1alpha2 (integers) alike', () => {
    const v1alpha1 = {
      spec: {
        backends: [
          { service: 'a', weight: '900m' },
          { service: 'b', weight: '100m' },
        ],
      },
    };
    const v1alpha2 = {
      spec: {
        backends: [
          { service: 'a', weight: 90 },
          { service: 'b', weight: 10 },
        ],
      },
    };
    expect(routesOf('trafficsplits.split.smi-spec.io', v1alpha1)).toEqual([
      [
        { service: 'a', weight: 0.9 },
        { service: 'b', weight: 0.1 },
      ],
    ]);
    expect(routesOf('trafficsplits.split.smi-spec.io', v1alpha2)).toEqual([
      [
        { service: 'a', weight: 90 },
        { service: 'b', weight: 10 },
      ],
    ]);
  });

  it('reads each rule of an HTTPRoute as a route, a missing weight as 1', () => {
    const route = {
      spec: {
        rules: [
          {
            backendRefs: [
              { name: 'a', weight: 70 },
              { name: 'b', weight: 30 },
            ],
          },
          { backendRefs: [{ name: 'b' }] },
        ],
      },
    };
    expect(routesOf('httproutes.gateway.networking.k8s.io', route)).toEqual([
      [
        { service: 'a', weight: 70 },
        { service: 'b', weight: 30 },
      ],
      [{ service: 'b', weight: 1 }],
    ]);
  });

  it('reads a weight that is not a quantity as NaN', () => {
    const split = { spec: { backends: [{ service: 'a', weight: 'lots' }] } };
    expect(routesOf('trafficsplits.split.smi-spec.io', split)[0]?.[0]?.weight).toBeNaN();
  });
});

describe('factOf', () => {
  const common = {
    namespace: 'ns',
    name: 'app',
    userAgent: 'fledge-controller/x',
    received: 1,
  };

  it('keeps a status write with its phase, weight, checks and revision', () => {
    const fact = factOf(
      auditLine({
        ...common,
        resource: 'rollouts',
        apiGroup: 'fledge.dev',
        subresource: 'status',
        code: 409,
        responseObject: {
          status: {
            phase: 'Progressing',
            canaryWeight: 20,
            failedChecks: 1,
            currentRevision: 'r1',
          },
        },
      }),
    );
    expect(fact).toMatchObject({
      verb: 'patch',
      userAgent: 'fledge-controller/x',
      code: 409,
      namespace: 'ns',
      name: 'app',
      subject: {
        kind: 'rollout-status',
        status: { phase: 'Progressing', canaryWeight: 20, failedChecks: 1, currentRevision: 'r1' },
      },
    });
    expect((fact?.completed ?? 0) - (fact?.received ?? 0)).toBe(1000);
  });

  it('names a created object from the response, as the URL of a create has no name', () => {
    const line = JSON.parse(
      auditLine({
        ...common,
        verb: 'create',
        resource: 'httproutes',
        apiGroup: 'policy.linkerd.io',
        responseObject: { metadata: { name: 'app' }, spec: { rules: [] } },
      }),
    );
    delete line.objectRef.name;
    expect(factOf(JSON.stringify(line))).toMatchObject({
      name: 'app',
      subject: { kind: 'routing', resource: 'httproutes.policy.linkerd.io', routes: [] },
    });
  });

  it('keeps a Lease write with its holder, renewal, duration and transitions', () => {
    const fact = factOf(
      auditLine({
        ...common,
        verb: 'update',
        resource: 'leases',
        apiGroup: 'coordination.k8s.io',
        responseObject: {
          spec: {
            holderIdentity: 'x',
            renewTime: '2025-01-01T00:00:00.000001Z',
            leaseDurationSeconds: 3,
            leaseTransitions: 4,
          },
        },
      }),
    );
    expect(fact?.subject).toEqual({
      kind: 'lease',
      holder: 'x',
      renewTime: Date.parse('2025-01-01T00:00:00Z') * 1000 + 1,
      leaseDurationSeconds: 3,
      leaseTransitions: 4,
    });
  });

  it('leaves out reads, other stages, other kinds and lines that are not JSON', () => {
    const routing = { ...common, resource: 'trafficsplits', apiGroup: 'split.smi-spec.io' };
    expect(factOf(auditLine({ ...routing, verb: 'get' }))).toBeNull();
    expect(factOf(auditLine({ ...routing, stage: 'RequestReceived' }))).toBeNull();
    expect(factOf(auditLine({ ...common, resource: 'pods', apiGroup: '' }))).toBeNull();
    expect(factOf('{"kind": "Event", "stage": "ResponseC')).toBeNull();
  });
});
