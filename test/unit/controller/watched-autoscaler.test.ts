import { describe, expect, it } from 'vitest';
import {
  autoscalerChanged,
  watchedAutoscaler,
} from '../../../src/controller/workload/watched-autoscaler.js';
import type { KubeObject } from '../../../src/kube/api-server.js';

const spec = {
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
  minReplicas: 2,
  maxReplicas: 5,
  metrics: [
    {
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
    },
  ],
};

/** A HorizontalPodAutoscaler as the API server sends it. */
const stored = (changes: Record<string, unknown> = {}) =>
  ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: 'api',
      namespace: 'prod',
      uid: 'u1',
      resourceVersion: '7',
      generation: 3,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { team: 'payments' },
      annotations: {
        note: 'kept',
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec }),
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'x' }],
    },
    spec,
    status: {
      currentReplicas: 3,
      desiredReplicas: 4,
      conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: 'now' }],
    },
    ...changes,
  }) as unknown as KubeObject;

describe('watchedAutoscaler', () => {
  it("keeps what the primary's copy is made of and compared on, and its resourceVersion only", () => {
    expect(watchedAutoscaler(stored())).toEqual({
      metadata: {
        name: 'api',
        namespace: 'prod',
        resourceVersion: '7',
        labels: { team: 'payments' },
        // kubectl's copy of the whole object: its presence only.
        annotations: { note: 'kept', 'kubectl.kubernetes.io/last-applied-configuration': '' },
      },
      spec,
    });
  });

  it('leaves out the labels, annotations and spec an object lacks', () => {
    const bare = { metadata: { name: 'api', namespace: 'prod', resourceVersion: '1' } };
    expect(watchedAutoscaler(bare)).toEqual(bare);
  });
});

describe('autoscalerChanged', () => {
  const before = watchedAutoscaler(stored());
  const changed = (changes: Record<string, unknown>) => watchedAutoscaler(stored(changes));

  it('is false for a new status (the HPA controller writes one every sync period)', () => {
    const status = { currentReplicas: 5, desiredReplicas: 5, conditions: [] };
    const next = changed({ status, metadata: { ...stored().metadata, resourceVersion: '8' } });
    expect(autoscalerChanged(before, next)).toBe(false);
  });

  it.each([
    ['maxReplicas', { spec: { ...spec, maxReplicas: 7 } }],
    ['the metrics', { spec: { ...spec, metrics: [] } }],
    ['a label', { metadata: { ...stored().metadata, labels: { team: 'search' } } }],
    ['an annotation', { metadata: { ...stored().metadata, annotations: { note: 'new' } } }],
  ])('is true for a change of %s', (_what, changes) => {
    expect(autoscalerChanged(before, changed(changes))).toBe(true);
  });
});
