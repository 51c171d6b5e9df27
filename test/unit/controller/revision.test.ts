import { createHash } from 'node:crypto';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  type ConfigHashes,
  configHash,
  referencedConfigs,
  revisionOf,
  templateRevision,
} from '../../../src/controller/revision.js';

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

describe('configHash', () => {
  it('digests data and binaryData, nothing else of the object', () => {
    const base = configHash({ metadata: { name: 'a' }, data: { k: '1' } });
    expect(configHash({ metadata: { name: 'b', resourceVersion: '9' }, data: { k: '1' } })).toBe(
      base,
    );
    expect(configHash({ data: { k: '2' } })).not.toBe(base);
    expect(configHash({ data: { k: '1' }, binaryData: { b: 'AA==' } })).not.toBe(base);
  });

  it('never contains the data itself', () => {
    expect(configHash({ data: { password: 'hunter2' } })).not.toContain('hunter2');
    expect(configHash({ data: { password: 'hunter2' } })).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('revisionOf', () => {
  const references = referencedConfigs(template);
  const hashes = (configMap: string | null, secret: string | null): ConfigHashes => ({
    configMaps: { 'cm-env': configMap },
    secrets: { 'sec-env': secret },
  });

  it('is stable whatever the key order', () => {
    const reordered: V1PodTemplateSpec = { spec: template.spec, metadata: template.metadata };
    expect(revisionOf(templateRevision(reordered), references, hashes('a', 'b'))).toBe(
      revisionOf(templateRevision(template), references, hashes('a', 'b')),
    );
  });

  it('changes with the image', () => {
    const changed = structuredClone(template);
    (changed.spec?.containers[0] as { image: string }).image = 'api:2';
    expect(revisionOf(templateRevision(changed), references, hashes('a', 'b'))).not.toBe(
      revisionOf(templateRevision(template), references, hashes('a', 'b')),
    );
  });

  it('changes with the digest of a referenced ConfigMap or Secret', () => {
    const base = revisionOf(templateRevision(template), references, hashes('a', 'b'));
    expect(revisionOf(templateRevision(template), references, hashes('c', 'b'))).not.toBe(base);
    expect(revisionOf(templateRevision(template), references, hashes('a', 'c'))).not.toBe(base);
  });

  it('tells a missing ConfigMap from an empty one', () => {
    const empty = configHash({ data: {} });
    expect(revisionOf(templateRevision(template), references, hashes(null, 'b'))).not.toBe(
      revisionOf(templateRevision(template), references, hashes(empty, 'b')),
    );
  });

  it('is the template revision alone for a template that reads nothing (as before digests)', () => {
    const plain: V1PodTemplateSpec = { spec: { containers: [{ name: 'x', image: 'x:1' }] } };
    const none = { configMaps: [], secrets: [] };
    const revision = templateRevision(plain);
    expect(revisionOf(revision, none, { configMaps: {}, secrets: {} })).toBe(revision);
    // The revision main computed for such a template: sha256 of {configMaps, secrets, template}.
    expect(revision).toBe(
      createHash('sha256')
        .update(
          '{"configMaps":{},"secrets":{},"template":{"spec":{"containers":[{"image":"x:1","name":"x"}]}}}',
        )
        .digest('hex')
        .slice(0, 16),
    );
  });
});
