import { describe, expect, it } from 'vitest';
import { CounterRates } from '../../../src/playground/resource-metrics/counter-rates.js';
import { parseLabelSelector } from '../../../src/playground/resource-metrics/label-selector.js';
import { metricsAnswer } from '../../../src/playground/resource-metrics/metrics-api.js';
import { containerUsage, isMetered } from '../../../src/playground/resource-metrics/pod-usage.js';

describe('parseLabelSelector', () => {
  const labels = { app: 'api', tier: 'web' };
  it.each([
    ['', true],
    ['app=api', true],
    ['app==api', true],
    ['app=web', false],
    ['app!=web', true],
    ['app!=api', false],
    ['app=api,tier=web', true],
    ['app=api, tier=edge', false],
    ['tier in (web,edge)', true],
    ['tier in (edge)', false],
    ['tier notin (edge, db)', true],
    ['canary', false],
    ['app', true],
    ['!canary', true],
    ['!app', false],
    ['missing!=x', true],
    ['missing in (x)', false],
  ])('%s selects {app: api, tier: web}: %s', (selector, selects) => {
    expect(parseLabelSelector(selector)(labels)).toBe(selects);
  });

  it('refuses a clause it cannot read, quoting it', () => {
    expect(() => parseLabelSelector('app in api')).toThrow(/"app in api" is not valid/);
  });
});

describe('CounterRates', () => {
  it('is the per-second growth over the window', () => {
    const rates = new CounterRates(10_000);
    expect(rates.rate('p')).toBe(0);
    for (let second = 0; second <= 20; second++) rates.observe('p', second * 1000, second * 5);
    expect(rates.rate('p')).toBe(5);
  });

  it('forgets samples older than the window, so a stop shows within it', () => {
    const rates = new CounterRates(5_000);
    for (let second = 0; second <= 10; second++) rates.observe('p', second * 1000, second * 10);
    for (let second = 11; second <= 20; second++) rates.observe('p', second * 1000, 100);
    expect(rates.rate('p')).toBe(0);
  });

  it('starts again after a counter reset', () => {
    const rates = new CounterRates(10_000);
    rates.observe('p', 0, 500);
    rates.observe('p', 1000, 0);
    rates.observe('p', 2000, 4);
    expect(rates.rate('p')).toBe(4);
  });

  it('keeps at most maxKeys counters and drops those no longer live', () => {
    const rates = new CounterRates(10_000, 1);
    rates.observe('a', 0, 0);
    rates.observe('a', 1000, 1);
    rates.observe('b', 0, 0);
    rates.observe('b', 1000, 9);
    expect(rates.rate('b')).toBe(0);
    rates.retain(new Set());
    expect(rates.rate('a')).toBe(0);
  });
});

describe('containerUsage', () => {
  it('adds CPU per request per second to the containers that serve a port', () => {
    const usage = containerUsage(
      [
        {
          name: 'app',
          ports: [{ containerPort: 8080 }],
          env: [
            { name: 'CPU_MILLICORES', value: '50' },
            { name: 'CPU_MILLICORES_PER_RPS', value: '2.5' },
          ],
        },
        { name: 'sidecar', env: [{ name: 'CPU_MILLICORES_PER_RPS', value: '100' }] },
      ],
      40,
    );
    expect(usage).toEqual([
      { name: 'app', usage: { cpu: '150m', memory: '32Mi' } },
      { name: 'sidecar', usage: { cpu: '10m', memory: '32Mi' } },
    ]);
  });

  it('reads a value that is not a non-negative number as unset', () => {
    const [usage] = containerUsage(
      [
        {
          name: 'app',
          env: [
            { name: 'CPU_MILLICORES', value: '-3' },
            { name: 'MEMORY_MIB', value: 'lots' },
          ],
        },
      ],
      0,
    );
    expect(usage?.usage).toEqual({ cpu: '10m', memory: '32Mi' });
  });
});

describe('isMetered', () => {
  const running = {
    metadata: {},
    spec: { nodeName: 'playground' },
    status: { phase: 'Running' },
  };

  it.each([
    { what: 'a scheduled Running pod', pod: running, metered: true },
    { what: 'a Pending pod', pod: { ...running, status: { phase: 'Pending' } }, metered: false },
    { what: 'a pod without a phase yet', pod: { ...running, status: {} }, metered: false },
    { what: 'a pod no node runs', pod: { ...running, spec: {} }, metered: false },
    {
      what: 'a pod being deleted',
      pod: { ...running, metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } },
      metered: false,
    },
    {
      what: 'a Succeeded pod',
      pod: { ...running, status: { phase: 'Succeeded' } },
      metered: false,
    },
  ])('$what is metered: $metered', ({ pod, metered }) => {
    expect(isMetered(pod)).toBe(metered);
  });
});

describe('metricsAnswer', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const pods = [
    { namespace: 'a', name: 'api-1', labels: { app: 'api' }, containers: [] },
    { namespace: 'a', name: 'web-1', labels: { app: 'web' }, containers: [] },
    { namespace: 'b', name: 'api-1', labels: { app: 'api' }, containers: [] },
  ];
  const names = (answer: ReturnType<typeof metricsAnswer>) =>
    (answer.body as { items: Array<{ metadata: { namespace: string; name: string } }> }).items.map(
      (item) => `${item.metadata.namespace}/${item.metadata.name}`,
    );

  it('lists the pods of a namespace that the selector selects', () => {
    const answer = metricsAnswer(
      '/apis/metrics.k8s.io/v1beta1/namespaces/a/pods',
      'app=api',
      pods,
      now,
      15,
    );
    expect(answer.status).toBe(200);
    expect(names(answer)).toEqual(['a/api-1']);
  });

  it('lists every namespace without one', () => {
    expect(names(metricsAnswer('/apis/metrics.k8s.io/v1beta1/pods', null, pods, now, 15))).toEqual([
      'a/api-1',
      'a/web-1',
      'b/api-1',
    ]);
  });

  it('answers one pod with its timestamp and window', () => {
    const answer = metricsAnswer(
      '/apis/metrics.k8s.io/v1beta1/namespaces/b/pods/api-1',
      null,
      pods,
      now,
      15,
    );
    expect(answer.body).toMatchObject({
      kind: 'PodMetrics',
      metadata: { namespace: 'b', name: 'api-1' },
      timestamp: '2026-01-01T00:00:00.000Z',
      window: '15s',
    });
  });

  it('answers 404 as a Kubernetes Status, and 400 for a selector it cannot read', () => {
    expect(
      metricsAnswer('/apis/metrics.k8s.io/v1beta1/namespaces/b/pods/x', null, pods, now, 15),
    ).toMatchObject({
      status: 404,
      body: { kind: 'Status', reason: 'NotFound' },
    });
    expect(metricsAnswer('/apis/other', null, pods, now, 15).status).toBe(404);
    expect(
      metricsAnswer('/apis/metrics.k8s.io/v1beta1/pods', 'app in x', pods, now, 15),
    ).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
  });

  it("answers the root with 200, for the aggregator's availability check", () => {
    expect(metricsAnswer('/', null, [], now, 15).status).toBe(200);
  });
});
