import { describe, expect, it } from 'vitest';
import { convertCanary } from '../../../src/convert/canary.js';
import type { FlaggerCanary } from '../../../src/convert/flagger-types.js';
import { convertOptions, flaggerCanary, validConversion } from '../../support/flagger-canary.js';

/** The Deployment target of Flagger's "How it works" page, with the analysis it needs here. */
const canary = (
  autoscalerRef: Record<string, unknown> | undefined,
  analysis: Record<string, unknown> = {},
): FlaggerCanary =>
  flaggerCanary('podinfo', 'test', {
    provider: 'linkerd',
    progressDeadlineSeconds: 60,
    ...(autoscalerRef ? { autoscalerRef } : {}),
    service: { port: 9898 },
    analysis: { interval: '1m', threshold: 10, maxWeight: 50, stepWeight: 5, ...analysis },
  });

function converted(input: FlaggerCanary) {
  const result = validConversion(input);
  const spec = result.rollout.spec as { autoscalerRef?: unknown; analysis: object };
  return { ...result, spec };
}

function refused(input: FlaggerCanary) {
  const result = convertCanary(input, [], convertOptions);
  if (result.ok) throw new Error('converted a Canary that should be refused');
  return result.problems;
}

describe('converting spec.autoscalerRef', () => {
  it("keeps Flagger's documented HPA reference and its primaryScalerReplicas", () => {
    const { spec, notes } = converted(
      canary({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        name: 'podinfo',
        primaryScalerReplicas: { minReplicas: 2, maxReplicas: 5 },
      }),
    );
    expect(spec.autoscalerRef).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'podinfo',
      primaryScalerReplicas: { minReplicas: 2, maxReplicas: 5 },
    });
    expect(notes.filter((note) => note.path.startsWith('spec.autoscalerRef'))).toEqual([]);
  });

  it('keeps autoscaling/v2beta2, and one bound without the other', () => {
    const { spec } = converted(
      canary({
        apiVersion: 'autoscaling/v2beta2',
        kind: 'HorizontalPodAutoscaler',
        name: 'podinfo',
        primaryScalerReplicas: { maxReplicas: 8 },
      }),
    );
    expect(spec.autoscalerRef).toEqual({
      apiVersion: 'autoscaling/v2beta2',
      kind: 'HorizontalPodAutoscaler',
      name: 'podinfo',
      primaryScalerReplicas: { maxReplicas: 8 },
    });
  });

  it('reads an older HPA version as autoscaling/v2, and says so', () => {
    const { spec, notes } = converted(
      canary({ apiVersion: 'autoscaling/v2beta1', kind: 'HorizontalPodAutoscaler', name: 'hpa' }),
    );
    expect(spec.autoscalerRef).toMatchObject({ apiVersion: 'autoscaling/v2', name: 'hpa' });
    expect(notes).toContainEqual({
      path: 'spec.autoscalerRef.apiVersion',
      kind: 'changed',
      message: expect.stringMatching(/^autoscaling\/v2beta1 became autoscaling\/v2/),
    });
  });

  it('writes no autoscalerRef for a Canary without one', () => {
    expect(converted(canary(undefined)).spec).not.toHaveProperty('autoscalerRef');
  });

  it('lists the KEDA queries and unknown fields of the reference as dropped', () => {
    const { notes } = converted(
      canary({
        kind: 'HorizontalPodAutoscaler',
        name: 'podinfo',
        primaryScalerQueries: { 'prom-trigger': 'sum(rate(x[30s]))' },
        canaryScalerReplicas: { minReplicas: 1 },
      }),
    );
    expect(notes.filter((n) => n.kind === 'dropped').map((n) => n.path)).toEqual([
      'spec.autoscalerRef.canaryScalerReplicas',
      'spec.autoscalerRef.primaryScalerQueries',
    ]);
  });

  it('refuses a KEDA ScaledObject at its kind, naming the primary to scale instead', () => {
    const problems = refused(
      canary({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'podinfo-so' }),
    );
    expect(problems).toEqual([
      {
        path: 'spec.autoscalerRef.kind',
        message: expect.stringMatching(/is ScaledObject: .*podinfo-primary/),
      },
    ]);
  });

  it('refuses a reference without a name', () => {
    expect(refused(canary({ kind: 'HorizontalPodAutoscaler' }))).toEqual([
      { path: 'spec.autoscalerRef.name', message: expect.stringMatching(/^is missing/) },
    ]);
  });

  it.each([
    {
      what: 'a minimum above the maximum',
      bounds: { minReplicas: 6, maxReplicas: 3 },
      path: 'spec.autoscalerRef.primaryScalerReplicas',
    },
    {
      what: 'a minimum of 0',
      bounds: { minReplicas: 0 },
      path: 'spec.autoscalerRef.primaryScalerReplicas.minReplicas',
    },
    {
      what: 'a bound that is not a number',
      bounds: { maxReplicas: 'five' },
      path: 'spec.autoscalerRef.primaryScalerReplicas.maxReplicas',
    },
  ])('refuses $what at $path', ({ bounds, path }) => {
    const problems = refused(
      canary({ kind: 'HorizontalPodAutoscaler', name: 'podinfo', primaryScalerReplicas: bounds }),
    );
    expect(problems.map((problem) => problem.path)).toEqual([path]);
  });

  it('reports a refused autoscalerRef beside a refused analysis', () => {
    const problems = refused(canary({ kind: 'ScaledObject', name: 'so' }, { interval: 'soon' }));
    expect(problems.map((problem) => problem.path)).toEqual([
      'spec.analysis.interval',
      'spec.autoscalerRef.kind',
    ]);
  });
});

describe('converting the ready thresholds', () => {
  it("keeps Flagger's primaryReadyThreshold and canaryReadyThreshold", () => {
    const { spec, notes } = converted(
      canary(undefined, { primaryReadyThreshold: 50, canaryReadyThreshold: 80 }),
    );
    expect(spec.analysis).toMatchObject({ primaryReadyThreshold: 50, canaryReadyThreshold: 80 });
    expect(notes.filter((note) => note.path.includes('ReadyThreshold'))).toEqual([]);
  });

  it('refuses a threshold above 100 percent at its Canary field', () => {
    const problems = refused(canary(undefined, { canaryReadyThreshold: 150 }));
    expect(problems.map((problem) => problem.path)).toEqual(['spec.analysis.canaryReadyThreshold']);
  });
});
