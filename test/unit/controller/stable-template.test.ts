import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { workloadNames } from '../../../src/controller/workload/objects.js';
import {
  newestRecord,
  primaryFromRecord,
  recordSelector,
  type StableRecord,
  stableRecord,
} from '../../../src/controller/workload/stable-template.js';

const rollout = { metadata: { name: 'api', namespace: 'shop', uid: 'uid-1' } };
const owner = { apiVersion: 'fledge.dev/v1', kind: 'Rollout', name: 'api', uid: 'uid-1' };

function primary(image: string, more: Partial<V1Deployment> = {}): V1Deployment {
  return {
    metadata: { name: 'api-primary', labels: { app: 'api-primary' }, ...more.metadata },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'api-primary' } },
      template: {
        metadata: { labels: { app: 'api-primary' } },
        spec: { containers: [{ name: 'app', image }] },
      },
      minReadySeconds: 5,
      ...more.spec,
    } as V1Deployment['spec'],
    ...(more.status ? { status: more.status } : {}),
  };
}

describe('the record of the stable primary', () => {
  it('is named after what the primary is made of, not its replicas, status or the API server annotations', () => {
    const first = stableRecord(primary('demo:1'), rollout, owner, 1);
    const scaled = stableRecord(
      primary('demo:1', {
        metadata: { annotations: { 'deployment.kubernetes.io/revision': '7' } },
        spec: { replicas: 9 } as V1Deployment['spec'],
        status: { readyReplicas: 9 },
      }),
      rollout,
      owner,
      2,
    );
    const next = stableRecord(primary('demo:2'), rollout, owner, 3);
    expect(scaled.metadata?.name).toBe(first.metadata?.name);
    expect(next.metadata?.name).not.toBe(first.metadata?.name);
    expect(first.metadata?.name).toMatch(/^api-stable-[0-9a-f]{16}$/);
    expect(first.metadata).toMatchObject({
      namespace: 'shop',
      labels: { 'fledge.dev/rollout-uid': 'uid-1' },
      ownerReferences: [owner],
    });
    // fledge's marks are not what the primary is made of: marked or not, one record.
    const marked = primary('demo:1', {
      metadata: { annotations: { 'fledge.dev/rollout': 'api', 'fledge.dev/rollout-uid': 'uid-1' } },
    });
    expect(stableRecord(marked, rollout, owner, 4).metadata?.name).toBe(first.metadata?.name);
    const annotated = primary('demo:1', { metadata: { annotations: { team: 'payments' } } });
    expect(stableRecord(annotated, rollout, owner, 4).metadata?.name).not.toBe(
      first.metadata?.name,
    );
    expect(first.data.spec).toEqual({
      selector: { matchLabels: { app: 'api-primary' } },
      template: primary('demo:1').spec?.template,
      minReadySeconds: 5,
    });
  });

  it('is found by the Rollout uid, and named apart from a Rollout of the same name', () => {
    const record = stableRecord(primary('demo:1'), rollout, owner, 1);
    expect(recordSelector(rollout)).toBe('fledge.dev/rollout-uid=uid-1');
    const again = { ...rollout, metadata: { ...rollout.metadata, uid: 'uid-2' } };
    expect(stableRecord(primary('demo:1'), again, owner, 1).metadata?.name).not.toBe(
      record.metadata?.name,
    );
    const dotted = { ...rollout, metadata: { ...rollout.metadata, name: `${'a'.repeat(199)}.b` } };
    expect(stableRecord(primary('demo:1'), dotted, owner, 1).metadata?.name).toMatch(
      /^a{199}-stable-[0-9a-f]+$/,
    );
  });

  it('of several, the newest holds the stable revision', () => {
    const records = [1, 3, 2].map(
      (at) => stableRecord(primary(`demo:${at}`), rollout, owner, at) as StableRecord,
    );
    expect(newestRecord(records)?.revision).toBe(3);
    expect(newestRecord([])).toBeUndefined();
  });

  it('makes the primary again, kept (not owned) for the Rollout, at the replicas given', () => {
    const record = stableRecord(primary('demo:1'), rollout, owner, 1);
    const names = workloadNames('shop', 'api', 'api');
    const made = primaryFromRecord(record, names, rollout, 4);
    expect(made).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'api-primary',
        namespace: 'shop',
        labels: { app: 'api-primary' },
        annotations: { 'fledge.dev/rollout': 'api', 'fledge.dev/rollout-uid': 'uid-1' },
      },
      spec: { ...record.data.spec, replicas: 4 },
    });
  });
});

it("makes the primary again with the annotations people put on it, and fledge's marks of today", () => {
  const annotations = {
    'reloader.stakater.com/auto': 'true',
    'deployment.kubernetes.io/revision': '3',
    'fledge.dev/rollout-uid': 'uid-0',
  };
  const record = stableRecord(primary('demo:1', { metadata: { annotations } }), rollout, owner, 1);
  const made = primaryFromRecord(record, workloadNames('shop', 'api', 'api'), rollout, 1);
  expect(made.metadata?.annotations).toEqual({
    'reloader.stakater.com/auto': 'true',
    'fledge.dev/rollout': 'api',
    'fledge.dev/rollout-uid': 'uid-1',
  });
});
