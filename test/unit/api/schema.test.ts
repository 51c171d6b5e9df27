import { describe, expect, it } from 'vitest';
import { validateRollout } from '../../../src/api/validate.js';
import { backendRollout, problemsOf, validated, workloadRollout } from './fixtures.js';

function onlyProblem(rollout: unknown) {
  const problems = problemsOf(rollout);
  expect(problems).toHaveLength(1);
  const [problem] = problems;
  if (!problem) throw new Error('no problem');
  expect(problem.fix).not.toBe('');
  return problem;
}

describe('the schema layer (from crds/rollout.yaml)', () => {
  it('accepts both contract §1 examples', () => {
    expect(problemsOf(workloadRollout())).toEqual([]);
    expect(problemsOf(backendRollout())).toEqual([]);
  });

  it('applies the schema defaults', () => {
    const { spec } = validated(backendRollout());
    expect(spec.routing.provider).toBe('smi');
    expect(spec.analysis).toMatchObject({
      interval: '1m',
      threshold: 5,
      onFailure: 'rollback',
      onNoData: 'fail',
    });
    expect(spec).toMatchObject({
      promotion: 'auto',
      progressDeadlineSeconds: 600,
      skipAnalysis: false,
      suspend: false,
    });
  });

  it('defaults webhook type, timeout and retries, and metric interval', () => {
    const { spec } = validated(
      backendRollout({
        'spec.analysis.webhooks': [{ name: 'load', url: 'http://tester/' }],
        'spec.analysis.metrics': [{ name: 'request-duration', thresholdRange: { max: 1 } }],
      }),
    );
    expect(spec.analysis.webhooks?.[0]).toMatchObject({
      type: 'rollout',
      timeout: '10s',
      retries: 0,
    });
    expect(spec.analysis.metrics?.[0]?.interval).toBe('1m');
  });

  it('fills in the defaults that depend on other fields', () => {
    const { spec } = validated(
      workloadRollout({
        'spec.service.name': undefined,
        'spec.service.targetPort': undefined,
        'spec.routing': { provider: 'gateway-api' },
        'spec.analysis.maxWeight': undefined,
      }),
    );
    expect(spec.service).toEqual({ name: 'api-service', port: 8080, targetPort: 8080 });
    expect(spec.routing.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(spec.analysis.maxWeight).toBe(100);
  });

  it('defaults maxWeight to the last of stepWeights and the smi apiVersion to v1alpha2', () => {
    const result = validateRollout(backendRollout({ 'spec.analysis.stepWeights': [5, 30] }));
    expect(result.ok).toBe(false);
    const fixed = validateRollout(
      backendRollout({
        'spec.analysis.stepWeight': undefined,
        'spec.analysis.stepWeights': [5, 30],
      }),
    );
    if (!fixed.ok) throw new Error(JSON.stringify(fixed.problems));
    expect(fixed.rollout.spec.analysis.maxWeight).toBe(30);
    expect(fixed.rollout.spec.routing.apiVersion).toBe('split.smi-spec.io/v1alpha2');
  });

  it('leaves its input untouched and passes status through', () => {
    const input = workloadRollout({ status: { phase: 'Progressing', canaryWeight: 10 } });
    const before = structuredClone(input);
    const result = validateRollout(input);
    expect(input).toEqual(before);
    expect(result.ok && result.rollout.status).toEqual({ phase: 'Progressing', canaryWeight: 10 });
  });

  it.each([
    ['spec.analysis.maxWeight', 101, /at most 100; got 101/, /from 1 to 100/],
    ['spec.analysis.stepWeight', 0, /at least 1; got 0/, /from 1 to 100/],
    ['spec.analysis.stepWeightPromotion', 0, /at least 1; got 0/, /from 1 to 100/],
    ['spec.analysis.stepWeightPromotion', 101, /at most 100; got 101/, /from 1 to 100/],
    ['spec.analysis.threshold', 0, /at least 1/, /from 1 to 1000/],
    ['spec.analysis.threshold', 2 ** 53 + 2, /at most 1000/, /from 1 to 1000/],
    ['spec.service.port', 70000, /at most 65535/, /from 1 to 65535/],
    ['spec.progressDeadlineSeconds', 0, /at least 1/, /from 1 to 604800/],
    ['spec.progressDeadlineSeconds', 604_801, /at most 604800/, /from 1 to 604800/],
    ['spec.analysis.webhooks.0.retries', 11, /at most 10/, /from 0 to 10/],
  ])('rejects %s out of range (%d)', (path, value, message, fix) => {
    const problem = onlyProblem(workloadRollout({ [path]: value }));
    expect(problem.path).toBe(path.replace(/\.(\d+)\./, '[$1].'));
    expect(problem.message).toMatch(message);
    expect(problem.fix).toMatch(fix);
  });

  it('rejects a weight out of range inside stepWeights with its index', () => {
    const problem = onlyProblem(
      backendRollout({
        'spec.analysis.stepWeight': undefined,
        'spec.analysis.stepWeights': [5, 150],
      }),
    );
    expect(problem.path).toBe('spec.analysis.stepWeights[1]');
  });

  it.each([
    ['spec.routing.provider', 'istio', 'smi | gateway-api'],
    ['spec.routing.apiVersion', 'split.smi-spec.io/v1', 'split.smi-spec.io/v1alpha2'],
    ['spec.analysis.onFailure', 'retry', 'rollback | pause'],
    ['spec.analysis.onNoData', 'ignore', 'fail | pause'],
    ['spec.promotion', 'auto-ish', 'auto | manual'],
    ['spec.targetRef.kind', 'StatefulSet', 'Deployment'],
  ])('rejects %s outside its enum (%s)', (path, value, allowed) => {
    const problem = onlyProblem(workloadRollout({ [path]: value }));
    expect(problem.path).toBe(path);
    expect(problem.message).toContain(JSON.stringify(value));
    expect(problem.fix).toContain(allowed);
  });

  it('rejects an unknown webhook type with the eight Flagger types as the fix', () => {
    const problem = onlyProblem(
      workloadRollout({ 'spec.analysis.webhooks.0.type': 'pre-promotion' }),
    );
    expect(problem.path).toBe('spec.analysis.webhooks[0].type');
    expect(problem.fix.split(' | ')).toHaveLength(8);
  });

  it.each([
    ['spec.service', 'spec.service'],
    ['spec.service.port', 'spec.service.port'],
    ['spec.analysis', 'spec.analysis'],
    ['spec.targetRef.name', 'spec.targetRef.name'],
    ['spec.analysis.metrics.0.thresholdRange', 'spec.analysis.metrics[0].thresholdRange'],
    ['spec.analysis.webhooks.0.url', 'spec.analysis.webhooks[0].url'],
    ['spec.analysis.webhooks.0.name', 'spec.analysis.webhooks[0].name'],
  ])('reports a missing required %s', (path, reported) => {
    const problem = onlyProblem(workloadRollout({ [path]: undefined }));
    expect(problem).toMatchObject({ path: reported, message: 'is required' });
  });

  it('reports a missing spec', () => {
    expect(onlyProblem(workloadRollout({ spec: undefined }))).toMatchObject({ path: 'spec' });
  });

  it.each([
    ['backends.stable.service', { 'spec.backends.stable': {} }, 'spec.backends.stable.service'],
    ['backends.canary', { 'spec.backends.canary': undefined }, 'spec.backends.canary'],
  ])('reports a missing %s in backend mode', (_, changes, path) => {
    expect(onlyProblem(backendRollout(changes)).path).toBe(path);
  });

  it.each([
    ['spec.analysis.interval', '1 minute'],
    ['spec.analysis.interval', '30s1m'],
    ['spec.analysis.metrics.0.interval', '5d'],
    ['spec.analysis.webhooks.0.timeout', '10'],
    ['spec.analysis.interval', ''],
  ])('rejects %s %j as not a duration', (path, value) => {
    const problem = onlyProblem(workloadRollout({ [path]: value }));
    expect(problem.path).toBe(path.replace(/\.(\d+)\./, '[$1].'));
    expect(problem.fix).toMatch(/30s, 1m or 1m30s/);
  });

  it('rejects a webhook url that is not http(s)', () => {
    const problem = onlyProblem(workloadRollout({ 'spec.analysis.webhooks.0.url': 'ftp://x/' }));
    expect(problem).toMatchObject({ path: 'spec.analysis.webhooks[0].url' });
    expect(problem.fix).toMatch(/http:\/\//);
  });

  it.each([
    ['spec.service.name', 'API_Service'],
    ['spec.backends.canary.service', 'canary.svc'],
    ['spec.backends.canary.cluster', 'West'],
  ])('rejects %s %j as not a Kubernetes name', (path, value) => {
    const rollout = path.includes('backends')
      ? backendRollout({ [path]: value })
      : workloadRollout({ [path]: value });
    expect(onlyProblem(rollout).path).toBe(path);
  });

  it.each([
    ['spec.service.port', '8080', /must be an integer; got "8080"/],
    ['spec.skipAnalysis', 'false', /must be a boolean/],
    ['spec.service.targetPort', true, /an integer or a string/],
    ['spec.analysis.stepWeights', 10, /must be an array/],
  ])('rejects %s of the wrong type (%j)', (path, value, message) => {
    const problem = problemsOf(workloadRollout({ [path]: value })).find((p) => p.path === path);
    expect(problem?.message).toMatch(message);
  });

  it('accepts targetPort as a number or a port name', () => {
    expect(problemsOf(workloadRollout({ 'spec.service.targetPort': 'http' }))).toEqual([]);
    expect(problemsOf(workloadRollout({ 'spec.service.targetPort': 9090 }))).toEqual([]);
  });

  it('rejects an unknown field and suggests the field it was probably meant to be', () => {
    const problem = onlyProblem(backendRollout({ 'spec.analysis.maxweight': 50 }));
    expect(problem).toMatchObject({ path: 'spec.analysis.maxweight' });
    expect(problem.fix).toMatch(/did you mean maxWeight\?/);
  });

  it('rejects an unknown field and lists the known ones', () => {
    const problem = onlyProblem(workloadRollout({ 'spec.canaryAnalysis': {} }));
    expect(problem.path).toBe('spec.canaryAnalysis');
    expect(problem.fix).toContain('targetRef, service, routing, analysis, backends');
  });

  it('needs exactly one of targetRef and backends', () => {
    const neither = onlyProblem(backendRollout({ 'spec.backends': undefined }));
    expect(neither).toMatchObject({ path: 'spec', message: 'needs one of targetRef or backends' });
    expect(neither.fix).toMatch(/workload mode .* backend mode/);
    const both = onlyProblem(backendRollout({ 'spec.targetRef': { name: 'api-service' } }));
    expect(both).toMatchObject({ path: 'spec', message: 'sets both targetRef and backends' });
  });

  it('needs exactly one of stepWeight, stepWeights and iterations', () => {
    const neither = onlyProblem(backendRollout({ 'spec.analysis.stepWeight': undefined }));
    expect(neither).toMatchObject({
      path: 'spec.analysis',
      message: 'needs one of stepWeight or stepWeights or iterations',
    });
    const both = onlyProblem(backendRollout({ 'spec.analysis.stepWeights': [10, 20, 30] }));
    expect(both).toMatchObject({
      path: 'spec.analysis',
      message: 'sets both stepWeight and stepWeights',
    });
    const abAndWeights = onlyProblem(backendRollout({ 'spec.analysis.iterations': 3 }));
    expect(abAndWeights.message).toBe('sets both stepWeight and iterations');
  });

  it('needs min or max in a thresholdRange', () => {
    const problem = onlyProblem(workloadRollout({ 'spec.analysis.metrics.1.thresholdRange': {} }));
    expect(problem).toMatchObject({
      path: 'spec.analysis.metrics[1].thresholdRange',
      message: 'must set at least one of min, max',
    });
  });

  it('rejects two metrics or two webhooks of the same name', () => {
    const metric = onlyProblem(
      workloadRollout({ 'spec.analysis.metrics.2.name': 'request-duration' }),
    );
    expect(metric).toMatchObject({
      path: 'spec.analysis.metrics[2]',
      message: 'repeats name "request-duration" of item 1',
    });
    const webhooks = workloadRollout();
    const spec = webhooks.spec as { analysis: { webhooks: unknown[] } };
    spec.analysis.webhooks.push({ name: 'load-test', url: 'http://other/' });
    expect(onlyProblem(webhooks).path).toBe('spec.analysis.webhooks[1]');
  });

  it('reports every problem at once, schema and rules together', () => {
    const problems = problemsOf(
      workloadRollout({
        'spec.analysis.onFailure': 'explode',
        'spec.analysis.stepWeight': 60,
        'spec.analysis.interval': '500ms',
        'spec.analysis.metrics.2.query': undefined,
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'spec.analysis.interval',
      'spec.analysis.metrics[2].query',
      'spec.analysis.onFailure',
      'spec.analysis.stepWeight',
    ]);
  });

  it('reports a field once when both layers reject it', () => {
    const problems = problemsOf(workloadRollout({ 'spec.analysis.stepWeight': 101 }));
    expect(problems.map((p) => p.path)).toEqual(['spec.analysis.stepWeight']);
  });

  it.each([null, 42, 'rollout', []])('rejects %j without crashing', (value) => {
    expect(problemsOf(value).length).toBeGreaterThan(0);
  });
});
