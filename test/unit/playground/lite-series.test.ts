import { describe, expect, it } from 'vitest';
import { ERROR_RATE_ANNOTATION, litePodOf } from '../../../src/playground/lite/pods.js';
import {
  exposeSeries,
  responsesSince,
  withBehaviour,
} from '../../../src/playground/lite/series.js';

const pod = {
  namespace: 'bench',
  deployment: 'app-0',
  pod: 'app-0-7d9f-x',
  errorRate: 0.25,
  latencyMs: 7,
  sinceMs: 1_000,
  before: { total: 0, failed: 0 },
};

describe('responsesSince', () => {
  it.each([
    { now: 1_000, total: 0, failed: 0 },
    { now: 2_000, total: 10, failed: 2 },
    { now: 11_000, total: 100, failed: 25 },
    // A clock behind the pod's start answers nothing, never a negative count.
    { now: 500, total: 0, failed: 0 },
  ])('at $now ms: $total responses, $failed failed', ({ now, total, failed }) => {
    expect(responsesSince(pod, now, 10)).toEqual({ total, failed });
  });
});

describe('withBehaviour', () => {
  it('counts on from what the pod answered when its error rate changes: counters never go back', () => {
    const healthy = { ...pod, errorRate: 0 };
    const failing = withBehaviour(healthy, { errorRate: 0.5, latencyMs: 7 }, 11_000, 10);
    expect(responsesSince(failing, 11_000, 10)).toEqual({ total: 100, failed: 0 });
    expect(responsesSince(failing, 13_000, 10)).toEqual({ total: 120, failed: 10 });
  });

  it('keeps the pod as it is when nothing changed', () => {
    expect(withBehaviour(pod, { errorRate: 0.25, latencyMs: 7 }, 11_000, 10)).toBe(pod);
  });
});

describe('exposeSeries', () => {
  const text = exposeSeries([pod], 11_000, { rps: 10, latency: true });

  it('writes the inbound response_total the built-in queries select, by classification', () => {
    const base = 'direction="inbound",namespace="bench",deployment="app-0",pod="app-0-7d9f-x"';
    expect(text).toContain(
      `response_total{${base},status_code="200",classification="success"} 75\n`,
    );
    expect(text).toContain(
      `response_total{${base},status_code="500",classification="failure"} 25\n`,
    );
  });

  it('puts every response in the buckets at and above its latency', () => {
    expect(text).toContain('status_code="200",le="5"} 0\n');
    expect(text).toContain('status_code="200",le="10"} 75\n');
    expect(text).toContain('status_code="200",le="+Inf"} 75\n');
    expect(text).toContain(
      'response_latency_ms_sum{direction="inbound",namespace="bench",deployment="app-0",pod="app-0-7d9f-x",status_code="500"} 175\n',
    );
  });

  it('writes no failure series for a healthy pod, and no histogram when told not to', () => {
    const healthy = exposeSeries([{ ...pod, errorRate: 0 }], 11_000, { rps: 10, latency: false });
    expect(healthy).not.toContain('classification="failure"');
    expect(healthy).not.toContain('response_latency_ms');
    expect(healthy).toContain('classification="success"} 100\n');
  });
});

describe('litePodOf', () => {
  const object = {
    metadata: {
      name: 'app-0-7d9f-x',
      namespace: 'bench',
      labels: { 'pod-template-hash': '7d9f' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'app-0-7d9f', controller: true }],
    },
    spec: {
      containers: [{ name: 'app', env: [{ name: 'ERROR_RATE', value: '0.5' }] }],
    },
    status: { phase: 'Running', podIP: '127.1.0.1', startTime: '1970-01-01T00:00:02Z' },
  };

  it('reads the Deployment, the error rate and the start from the pod', () => {
    expect(litePodOf(object, 5_000)).toEqual({
      namespace: 'bench',
      deployment: 'app-0',
      pod: 'app-0-7d9f-x',
      errorRate: 0.5,
      latencyMs: 0,
      sinceMs: 2_000,
      before: { total: 0, failed: 0 },
    });
  });

  it('takes the error rate of the lite-mode annotation over ERROR_RATE', () => {
    const annotated = {
      ...object,
      metadata: { ...object.metadata, annotations: { [ERROR_RATE_ANNOTATION]: '0.2' } },
    };
    expect(litePodOf(annotated, 5_000)?.errorRate).toBe(0.2);
  });

  it.each([
    { why: 'not running yet', change: { status: { phase: 'Pending' } } },
    { why: 'without an address', change: { status: { phase: 'Running' } } },
    {
      why: 'deleting',
      change: { metadata: { ...object.metadata, deletionTimestamp: '1970-01-01T00:00:03Z' } },
    },
  ])('answers nothing for a pod $why', ({ change }) => {
    expect(litePodOf({ ...object, ...change }, 5_000)).toBeUndefined();
  });
});
