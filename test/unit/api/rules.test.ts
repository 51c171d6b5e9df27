import { describe, expect, it } from 'vitest';
import { backendRollout, problemsOf, workloadRollout } from './fixtures.js';

function stepWeights(weights: number[], maxWeight?: number) {
  return backendRollout({
    'spec.analysis.stepWeight': undefined,
    'spec.analysis.stepWeights': weights,
    'spec.analysis.maxWeight': maxWeight,
  });
}

describe('the rules beyond the schema', () => {
  it('rejects a stepWeight above maxWeight', () => {
    expect(problemsOf(workloadRollout({ 'spec.analysis.stepWeight': 60 }))).toEqual([
      {
        path: 'spec.analysis.stepWeight',
        message: '60 is greater than maxWeight 50',
        fix: 'lower stepWeight to 50 or less, or raise maxWeight to 60 or more',
      },
    ]);
  });

  it('accepts a stepWeight equal to maxWeight', () => {
    expect(problemsOf(workloadRollout({ 'spec.analysis.stepWeight': 50 }))).toEqual([]);
  });

  it('rejects stepWeights that do not strictly rise, naming each offending index', () => {
    const problems = problemsOf(stepWeights([10, 10, 30, 20]));
    expect(problems.map((p) => p.path)).toEqual([
      'spec.analysis.stepWeights[1]',
      'spec.analysis.stepWeights[3]',
    ]);
    expect(problems[0]?.fix).toMatch(/strictly ascending/);
  });

  it('rejects stepWeights above a maxWeight given with them', () => {
    const problems = problemsOf(stepWeights([10, 60], 50));
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'spec.analysis.stepWeights[1]',
        message: '60 is greater than maxWeight 50',
      }),
    ]);
  });

  it('rejects a maxWeight that stepWeights never reach', () => {
    const problems = problemsOf(stepWeights([10, 20], 50));
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'spec.analysis.maxWeight',
        fix: expect.stringMatching(/end stepWeights with 50/),
      }),
    ]);
  });

  it('accepts stepWeights ending at maxWeight', () => {
    expect(problemsOf(stepWeights([1, 2, 10, 80], 80))).toEqual([]);
  });

  it.each([
    ['spec.analysis.interval', '999ms'],
    ['spec.analysis.interval', '0s'],
    ['spec.analysis.metrics.0.interval', '500ms'],
    ['spec.analysis.webhooks.0.timeout', '0ms'],
  ])('rejects %s %s, shorter than 1s', (path, value) => {
    const [problem] = problemsOf(workloadRollout({ [path]: value }));
    expect(problem).toEqual({
      path: path.replace(/\.(\d+)\./, '[$1].'),
      message: `${value} is shorter than the minimum of 1s`,
      fix: 'use a duration of at least 1s, such as 10s or 1m',
    });
  });

  it('accepts durations of exactly 1s and of 1000ms', () => {
    expect(problemsOf(workloadRollout({ 'spec.analysis.interval': '1s' }))).toEqual([]);
    expect(problemsOf(workloadRollout({ 'spec.analysis.interval': '1000ms' }))).toEqual([]);
  });

  it('needs a query for a metric that is not built in', () => {
    const [problem] = problemsOf(workloadRollout({ 'spec.analysis.metrics.2.query': undefined }));
    expect(problem).toMatchObject({
      path: 'spec.analysis.metrics[2].query',
      message: 'is required: error-ratio is not a built-in metric and has no templateRef',
    });
    expect(problem?.fix).toContain('request-success-rate, request-duration');
  });

  it('takes a MetricTemplate in place of a query, with its variables', () => {
    expect(
      problemsOf(
        workloadRollout({
          'spec.analysis.metrics.2.query': undefined,
          'spec.analysis.metrics.2.templateRef': { name: 'error-ratio', namespace: 'shared' },
          'spec.analysis.metrics.2.templateVariables': { direction: 'inbound' },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses a metric with both a query and a templateRef', () => {
    const problems = problemsOf(
      workloadRollout({ 'spec.analysis.metrics.2.templateRef': { name: 'error-ratio' } }),
    );
    expect(problems).toEqual([
      {
        path: 'spec.analysis.metrics[2].query',
        message: 'is given with templateRef: a metric takes its query from one or the other',
        fix: 'remove query to use the MetricTemplate, or remove templateRef to use query',
      },
    ]);
  });

  it('refuses templateVariables without a templateRef to fill', () => {
    const [problem] = problemsOf(
      workloadRollout({ 'spec.analysis.metrics.2.templateVariables': { direction: 'inbound' } }),
    );
    expect(problem?.path).toBe('spec.analysis.metrics[2].templateVariables');
  });

  it("refuses {{ variables.NAME }} in a metric's own query, which has none", () => {
    const [problem] = problemsOf(
      workloadRollout({
        'spec.analysis.metrics.2.query': 'sum(x{direction="{{ variables.direction }}"})',
      }),
    );
    expect(problem).toMatchObject({
      path: 'spec.analysis.metrics[2].query',
      message: expect.stringContaining('{{ variables.direction }}, which fledge does not fill in'),
      fix: expect.stringContaining('move the query into a MetricTemplate'),
    });
  });

  it('accepts a query on a built-in metric, which replaces the built-in one', () => {
    expect(problemsOf(workloadRollout({ 'spec.analysis.metrics.0.query': 'vector(100)' }))).toEqual(
      [],
    );
  });

  it('rejects a thresholdRange no value can pass', () => {
    const [problem] = problemsOf(
      workloadRollout({ 'spec.analysis.metrics.0.thresholdRange': { min: 99, max: 90 } }),
    );
    expect(problem?.path).toBe('spec.analysis.metrics[0].thresholdRange');
  });

  it.each([
    ['smi', 'gateway.networking.k8s.io/v1'],
    ['smi', 'policy.linkerd.io/v1beta3'],
    ['gateway-api', 'split.smi-spec.io/v1alpha2'],
  ])('rejects provider %s with apiVersion %s', (provider, apiVersion) => {
    const [problem] = problemsOf(workloadRollout({ 'spec.routing': { provider, apiVersion } }));
    expect(problem).toMatchObject({
      path: 'spec.routing.apiVersion',
      message: `"${apiVersion}" is not an apiVersion of provider ${provider}`,
    });
  });

  it.each([
    ['smi', 'split.smi-spec.io/v1alpha1'],
    ['gateway-api', 'gateway.networking.k8s.io/v1beta1'],
    ['gateway-api', 'policy.linkerd.io/v1beta3'],
  ])('accepts provider %s with apiVersion %s', (provider, apiVersion) => {
    expect(problemsOf(workloadRollout({ 'spec.routing': { provider, apiVersion } }))).toEqual([]);
  });

  it.each(['http://', 'https://exa mple/', 'http://[::1'])(
    'rejects the webhook url %j that does not parse',
    (url) => {
      const [problem] = problemsOf(workloadRollout({ 'spec.analysis.webhooks.0.url': url }));
      expect(problem?.path).toBe('spec.analysis.webhooks[0].url');
      expect(problem?.message).toMatch(/not a valid http\(s\) URL/);
    },
  );

  it('rejects a canary backend that is the stable one', () => {
    const problems = problemsOf(
      backendRollout({ 'spec.backends.canary': { service: 'api-service-stable' } }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'spec.backends.canary',
        message: 'is the same Service as the stable backend (api-service-stable)',
      }),
    ]);
  });

  it('accepts the same Service name in another cluster as the canary', () => {
    expect(
      problemsOf(
        backendRollout({
          'spec.backends.canary': { service: 'api-service-stable', cluster: 'west' },
        }),
      ),
    ).toEqual([]);
  });

  it('rejects a workload Service name too long for its -primary Service', () => {
    const [problem] = problemsOf(workloadRollout({ 'spec.service.name': `a${'b'.repeat(55)}` }));
    expect(problem).toMatchObject({ path: 'spec.service.name' });
    expect(problem?.fix).toMatch(/at most 55 characters/);
  });

  it('names metadata.name when the too-long Service name comes from it', () => {
    const [problem] = problemsOf(
      workloadRollout({ 'spec.service.name': undefined, 'metadata.name': 'x'.repeat(56) }),
    );
    expect(problem?.path).toBe('metadata.name');
  });

  it.each([0, 65536])('rejects the targetPort number %d', (port) => {
    const [problem] = problemsOf(workloadRollout({ 'spec.service.targetPort': port }));
    expect(problem?.path).toBe('spec.service.targetPort');
  });

  it.each(['HTTP', 'a-very-long-port-name', '8080', '-http'])(
    'rejects the targetPort name %j',
    (name) => {
      const [problem] = problemsOf(workloadRollout({ 'spec.service.targetPort': name }));
      expect(problem?.path).toBe('spec.service.targetPort');
    },
  );

  it('rejects another kind, another apiVersion and a missing name', () => {
    const problems = problemsOf(
      workloadRollout({
        apiVersion: 'flagger.app/v1beta1',
        kind: 'Canary',
        'metadata.name': undefined,
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(['apiVersion', 'kind', 'metadata.name']);
  });
});
