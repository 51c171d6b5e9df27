import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { MetricTemplates, metricTemplates } from '../../../src/metrics/metric-templates.js';
import { useApiServer } from '../../support/apiserver.js';
import { type FakePrometheus, startFakePrometheus } from '../../support/fake-prometheus.js';
import { analysePodinfo } from '../../support/template-analysis.js';

// MetricTemplates and their Secrets read from a real API server; the queries asked of a fake
// Prometheus on 127.0.0.1 that records what it was sent.
const cluster = useApiServer(['metricTemplate']);

let prometheus: FakePrometheus;
let address: string;
let namespace: string;
let templates: MetricTemplates;

beforeAll(async () => {
  prometheus = await startFakePrometheus({ value: '99.5' });
  address = prometheus.address;
});

afterAll(async () => {
  await templates?.close();
  await prometheus?.close();
});

beforeEach(async () => {
  prometheus.asked.length = 0;
  await templates?.close();
  namespace = await cluster().createNamespace('templates');
  templates = new MetricTemplates({
    api: cluster().api,
    registry: new Registry(),
    prometheusUrl: 'http://127.0.0.1:1',
  });
});

const template = (name: string, spec: Record<string, unknown>) =>
  new ResourceClient(cluster().api, metricTemplates).create({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'MetricTemplate',
    metadata: { name, namespace },
    spec,
  });

const secret = (name: string, data: Record<string, string>) =>
  new ResourceClient(cluster().api, knownTypes.secrets).create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    data: Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
  });

const metric = (name: string, variables?: Record<string, string>) => ({
  name,
  templateRef: { name },
  ...(variables ? { templateVariables: variables } : {}),
  thresholdRange: { min: 99 },
  interval: '1m',
});

describe('MetricTemplates against a real API server', () => {
  it('asks the template’s own Prometheus with its token and tenant header, variables filled in', async () => {
    await secret('prom-auth', { token: 's3cret' });
    await template('success-rate', {
      provider: {
        address,
        secretRef: { name: 'prom-auth' },
        headers: { 'X-Scope-OrgID': ['team-a'] },
      },
      query:
        'sum(rate(response_total{namespace="{{ namespace }}",deployment=~"{{ target }}",direction="{{ variables.direction }}",rollout="{{ name }}"}[{{ interval }}]))',
    });
    const resolved = await templates.resolve([metric('success-rate', { direction: 'inbound' })], {
      name: 'podinfo',
      namespace,
    });
    expect(resolved.problems).toEqual([]);
    const result = await analysePodinfo(resolved.metrics, namespace);
    expect(result.results[0]).toMatchObject({ value: 99.5, passed: true });
    expect(prometheus.asked[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(prometheus.asked[0]?.headers['x-scope-orgid']).toBe('team-a');
    expect(prometheus.asked[0]?.query).toBe(
      `sum(rate(response_total{namespace="${namespace}",deployment=~"podinfo",direction="inbound",rollout="podinfo"}[1m]))`,
    );
  });

  it('makes a missing template, and a missing Secret, a failed check with the reason and the fix', async () => {
    await template('latency', {
      provider: { address, secretRef: { name: 'absent' } },
      query: 'sum(up)',
    });
    const resolved = await templates.resolve([metric('gone'), metric('latency')], {
      name: 'podinfo',
      namespace,
    });
    expect(resolved.problems.map((p) => p.problem.reason)).toEqual([
      'MetricTemplateNotFound',
      'MetricSecretNotFound',
    ]);
    expect(resolved.problems[0]?.problem.message).toBe(
      `MetricTemplate ${namespace}/gone does not exist: create it, or fix the metric's templateRef`,
    );
    const result = await analysePodinfo(resolved.metrics, namespace);
    expect(result.results.map((r) => r.passed)).toEqual([false, false]);
    expect(prometheus.asked).toEqual([]);
  });

  it('names the metric field to fill when a template variable is not given', async () => {
    await template('by-direction', {
      provider: { address },
      query: 'sum(rate(x{d="{{ variables.direction }}"}[{{ interval }}]))',
    });
    const resolved = await templates.resolve(
      [
        { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
        metric('by-direction', { other: 'x' }),
      ],
      { name: 'podinfo', namespace },
    );
    expect(resolved.problems).toEqual([
      {
        metric: 'by-direction',
        problem: {
          reason: 'MetricVariablesMissing',
          message: `MetricTemplate ${namespace}/by-direction spec.query uses {{ variables.direction }}, which spec.analysis.metrics[1].templateVariables does not give: add direction there`,
        },
      },
    ]);
    expect(resolved.metrics[1]?.unavailable).toMatch(/^metric by-direction: MetricTemplate/);
  });
});
