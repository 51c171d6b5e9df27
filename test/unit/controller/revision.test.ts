import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { computeRevision, referencedConfigs } from '../../../src/controller/revision.js';

const template: V1PodTemplateSpec = {
  metadata: { labels: { app: 'api' } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'api:1',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'sec-env', key: 'b' } } },
        ],
        envFrom: [{ configMapRef: { name: 'cm-from' } }, { secretRef: { name: 'sec-from' } }],
      },
    ],
    volumes: [
      { name: 'v1', configMap: { name: 'cm-vol' } },
      { name: 'v2', secret: { secretName: 'sec-vol' } },
      {
        name: 'v3',
        projected: {
          sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 'sec-proj' } }],
        },
      },
    ],
  },
};

describe('referencedConfigs', () => {
  it('finds ConfigMaps and Secrets in env, envFrom, volumes and projected volumes', () => {
    expect(referencedConfigs(template)).toEqual({
      configMaps: ['cm-env', 'cm-from', 'cm-proj', 'cm-vol'],
      secrets: ['sec-env', 'sec-from', 'sec-proj', 'sec-vol'],
    });
  });

  it('finds nothing in a template without references', () => {
    expect(referencedConfigs({ spec: { containers: [{ name: 'x' }] } })).toEqual({
      configMaps: [],
      secrets: [],
    });
  });
});

describe('computeRevision', () => {
  const configMaps = { 'cm-env': { a: '1' } };
  const secrets = { 'sec-env': { b: 'Mg==' } };

  it('is stable whatever the key order', () => {
    const reordered: V1PodTemplateSpec = { spec: template.spec, metadata: template.metadata };
    expect(computeRevision(reordered, { ...configMaps }, { ...secrets })).toBe(
      computeRevision(template, configMaps, secrets),
    );
  });

  it('changes with the image', () => {
    const changed = structuredClone(template);
    (changed.spec?.containers[0] as { image: string }).image = 'api:2';
    expect(computeRevision(changed, configMaps, secrets)).not.toBe(
      computeRevision(template, configMaps, secrets),
    );
  });

  it('changes with the data of a referenced ConfigMap or Secret', () => {
    const base = computeRevision(template, configMaps, secrets);
    expect(computeRevision(template, { 'cm-env': { a: '2' } }, secrets)).not.toBe(base);
    expect(computeRevision(template, configMaps, { 'sec-env': { b: 'Mw==' } })).not.toBe(base);
  });

  it('tells a missing ConfigMap from an empty one', () => {
    expect(computeRevision(template, { 'cm-env': undefined }, secrets)).not.toBe(
      computeRevision(template, { 'cm-env': {} }, secrets),
    );
  });
});
