import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { analyse } from '../../../src/metrics/analysis.js';
import { MetricTemplates, metricTemplates } from '../../../src/metrics/metric-templates.js';
import type { MetricsProvider } from '../../../src/metrics/prometheus.js';
import { useApiServer } from '../../support/apiserver.js';

// MetricTemplates and their Secrets read from a real API server; the queries asked of a fake
// Prometheus on 127.0.0.1 that records what it was sent.
const cluster = useApiServer(['metricTemplate']);

let prometheus: Server;
let address: string;
const seen: { headers: IncomingMessage['headers']; query: string }[] = [];
let namespace: string;
let templates: MetricTemplates;

/** The controller's own provider: it must never be asked a template's query. */
const controllerProvider: MetricsProvider = {
  query: async () => {
    throw new Error('the controller provider was asked');
  },
};

beforeAll(async () => {
  prometheus = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const query = new URLSearchParams(Buffer.concat(chunks).toString()).get('query') ?? '';
      seen.push({ headers: req.headers, query });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [1, '99.5'] }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await templates?.close();
  prometheus.closeAllConnections();
  await new Promise<void>((resolve) => prometheus.close(() => resolve()));
});

beforeEach(async () => {
  seen.length = 0;
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
    const result = await analyse({
      metrics: resolved.metrics,
      mode: 'workload',
      provider: controllerProvider,
      namespace,
      target: 'podinfo',
      service: 'podinfo-canary',
      defaultIntervalMs: 30_000,
    });
    expect(result.results[0]).toMatchObject({ value: 99.5, passed: true });
    expect(seen[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(seen[0]?.headers['x-scope-orgid']).toBe('team-a');
    expect(seen[0]?.query).toBe(
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
    const result = await analyse({
      metrics: resolved.metrics,
      mode: 'workload',
      provider: controllerProvider,
      namespace,
      target: 'podinfo',
      service: 'podinfo-canary',
      defaultIntervalMs: 30_000,
    });
    expect(result.results.map((r) => r.passed)).toEqual([false, false]);
    expect(seen).toEqual([]);
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
