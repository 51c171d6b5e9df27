import { describe, expect, it } from 'vitest';
import { convertCanary } from '../../../src/convert/canary.js';
import type { FlaggerCanary } from '../../../src/convert/flagger-types.js';
import {
  convertOptions,
  flaggerCanary,
  flaggerExample,
  validConversion,
} from '../../support/flagger-canary.js';

const canary = (service: Record<string, unknown>, spec: Record<string, unknown> = {}) =>
  flaggerCanary('podinfo', 'test', {
    provider: 'linkerd',
    service: { port: 9898, ...service },
    analysis: { interval: '30s', threshold: 5, maxWeight: 50, stepWeight: 5 },
    ...spec,
  });

function converted(input: FlaggerCanary) {
  const result = validConversion(input);
  return { service: (result.rollout.spec as { service: unknown }).service, notes: result.notes };
}

describe('spec.service', () => {
  it("maps Flagger's Linkerd example: port 80 to 9898, portName and portDiscovery", () => {
    const input = flaggerExample('linkerd-canary.yaml');
    const { service, notes } = converted(input.canaries[0] as FlaggerCanary);
    expect(service).toEqual({
      name: 'podinfo',
      port: 80,
      targetPort: 9898,
      portName: 'http',
      portDiscovery: true,
    });
    expect(notes.filter((n) => n.path.startsWith('spec.service'))).toEqual([]);
  });

  it("keeps a named targetPort, as in Flagger's FAQ", () => {
    expect(converted(canary({ targetPort: 'http', portName: 'http' })).service).toMatchObject({
      targetPort: 'http',
      portName: 'http',
    });
  });

  it("maps the FAQ's annotations of the apex, primary and canary Services, and their labels", () => {
    const { service, notes } = converted(
      canary({
        apex: {
          annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'mydomain.com' },
          labels: { tier: 'edge' },
        },
        primary: {
          annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'primary.mydomain.com' },
        },
        canary: {
          annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'canary.mydomain.com' },
        },
      }),
    );
    expect(service).toEqual({
      name: 'podinfo',
      port: 9898,
      targetPort: 9898,
      apex: {
        labels: { tier: 'edge' },
        annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'mydomain.com' },
      },
      primary: {
        annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'primary.mydomain.com' },
      },
      canary: {
        annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'canary.mydomain.com' },
      },
    });
    expect(notes).toEqual([]);
  });

  it('leaves out empty values and unknown metadata fields, saying so, and portDiscovery: false', () => {
    const { service, notes } = converted(
      canary({
        portDiscovery: false,
        apex: { labels: { tier: '', team: 'a' }, owner: 'me' },
        canary: { annotations: { note: '' } },
      }),
    );
    expect(service).toEqual({
      name: 'podinfo',
      port: 9898,
      targetPort: 9898,
      apex: { labels: { team: 'a' } },
    });
    expect(notes.map((n) => [n.path, n.kind])).toEqual([
      ['spec.service.apex.owner', 'dropped'],
      ['spec.service.apex.labels', 'dropped'],
      ['spec.service.canary.annotations', 'dropped'],
    ]);
    expect(notes[1]?.message).toMatch(/^tier: an empty value/);
  });

  it.each([
    ['unmanagedMetadata', { annotations: ['x'] }, /only the labels and annotations it wrote/],
    ['headless', true, /no counterpart/],
    ['appProtocol', 'http', /no counterpart/],
    ['trafficPolicy', { tls: { mode: 'DISABLE' } }, /Istio/],
  ])('lists service.%s as not converted, with the reason', (field, value, why) => {
    const { notes } = converted(canary({ [field]: value }));
    expect(notes).toEqual([
      { path: `spec.service.${field}`, kind: 'dropped', message: expect.stringMatching(why) },
    ]);
  });

  it.each([
    [{ apex: { labels: { 'bad key': 'x' } } }, 'spec.service.apex.labels'],
    [{ portName: 'HTTP' }, 'spec.service.portName'],
    [{ primary: { labels: 'x' } }, 'spec.service.primary.labels'],
    [{ portDiscovery: 'yes' }, 'spec.service.portDiscovery'],
  ])('refuses %j at its field', (service, field) => {
    const result = convertCanary(canary(service), [], convertOptions);
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([field]);
  });
});

describe('spec.revertOnDeletion', () => {
  it.each([
    [true, /^nothing to set: fledge always.*Flagger's true instead scales the target back up/],
    [false, /^fledge reverts anyway: .*Flagger's false leaves the routing as it is$/],
  ])('%s is said with what fledge does on deletion', (value, why) => {
    const { notes } = converted(canary({}, { revertOnDeletion: value }));
    expect(notes).toEqual([
      { path: 'spec.revertOnDeletion', kind: 'changed', message: expect.stringMatching(why) },
    ]);
  });

  it('says nothing when it is not set', () => {
    expect(converted(canary({})).notes).toEqual([]);
  });
});
