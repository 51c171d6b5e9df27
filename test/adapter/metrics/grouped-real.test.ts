import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JudgeSpec } from '../../../src/api/types.js';
import { type AnalyseOptions, analyse } from '../../../src/metrics/analysis.js';
import { type JudgeSamplingOptions, sampleAndJudge } from '../../../src/metrics/judge-sampling.js';
import { createPrometheusProvider, type MetricsProvider } from '../../../src/metrics/prometheus.js';
import { coalesceQueries } from '../../../src/metrics/query-coalescer.js';
import {
  freePort,
  type RealPrometheus,
  scraped,
  startPrometheus,
} from '../../support/real-prometheus.js';

/*
 * Linkerd-shaped series for many Deployments in two namespaces, each counter linear in time so
 * that every rate is exact: app-i answers (100 - i)% of its requests well and its latency
 * buckets put its p99 at a known place; `quiet` had requests once and none since (0/0: NaN);
 * `app-0` also exists in namespace `dev` with other figures, and `api-canary` is called from
 * outside (backend mode). Deployments named in the tests but absent here have no series.
 */
const APPS = 30;

function exposition(elapsedSeconds: number): string {
  const t = elapsedSeconds;
  const lines = ['# TYPE response_total counter'];
  const buckets: string[] = ['# TYPE response_latency_ms histogram'];
  const app = (namespace: string, deployment: string, failures: number, slow: number) => {
    const inbound = `namespace="${namespace}",deployment="${deployment}",direction="inbound"`;
    lines.push(
      `response_total{${inbound},pod="${deployment}-1",classification="success"} ${(100 - failures) * t}`,
      `response_total{${inbound},pod="${deployment}-1",classification="failure"} ${failures * t}`,
    );
    for (const [le, count] of [
      ['50', 100 - slow],
      ['100', 100],
      ['+Inf', 100],
    ] as const) {
      buckets.push(
        `response_latency_ms_bucket{${inbound},pod="${deployment}-1",le="${le}"} ${count * t}`,
      );
    }
  };
  for (let i = 0; i < APPS; i++) app('prod', `app-${i}`, i % 10, 1 + (i % 5));
  app('dev', 'app-0', 40, 50);
  const quiet = 'namespace="prod",deployment="quiet",direction="inbound"';
  lines.push(`response_total{${quiet},classification="success"} 7`);
  const outbound =
    'namespace="callers",deployment="web",direction="outbound",dst_namespace="prod",dst_service="api-canary"';
  lines.push(
    `response_total{${outbound},classification="success"} ${199 * t}`,
    `response_total{${outbound},classification="failure"} ${1 * t}`,
  );
  return `${[...lines, ...buckets].join('\n')}\n`;
}

let prometheus: RealPrometheus;
let registry: Registry;
let provider: MetricsProvider;

beforeAll(async () => {
  prometheus = await startPrometheus(exposition);
  registry = new Registry();
  provider = createPrometheusProvider({ address: prometheus.address, registry });
  // Series older than the 3s window, so that rate() need not extrapolate past their start.
  await scraped(prometheus, provider, 5);
}, 150_000);

afterAll(async () => {
  await prometheus?.stop();
});

async function queriesSent(): Promise<{ grouped: number; single: number }> {
  const counter = await registry.getSingleMetric('fledge_prometheus_queries_total')?.get();
  const of = (kind: string) =>
    counter?.values.find((value) => value.labels.kind === kind)?.value ?? 0;
  return { grouped: of('grouped'), single: of('single') };
}

const rollouts: { namespace: string; target: string }[] = [
  ...Array.from({ length: APPS }, (_, i) => ({ namespace: 'prod', target: `app-${i}` })),
  { namespace: 'dev', target: 'app-0' },
  { namespace: 'prod', target: 'quiet' },
  { namespace: 'prod', target: 'absent' },
  { namespace: 'dev', target: 'app-7' },
];

function options(
  rollout: { namespace: string; target: string },
  asking: MetricsProvider,
): AnalyseOptions {
  return {
    mode: 'workload',
    namespace: rollout.namespace,
    target: rollout.target,
    service: `${rollout.target}-canary`,
    defaultIntervalMs: 3000,
    provider: asking,
    metrics: [
      { name: 'request-success-rate', thresholdRange: { min: 95 } },
      { name: 'request-duration', thresholdRange: { max: 60 } },
    ],
  };
}

describe('grouped queries against a real Prometheus', () => {
  it('asks one query per metric for rollouts analysed together, and each gets its value alone', async () => {
    const alone = await Promise.all(rollouts.map((r) => analyse(options(r, provider))));
    const before = await queriesSent();
    const coalesced = coalesceQueries(provider);
    const together = await Promise.all(rollouts.map((r) => analyse(options(r, coalesced))));
    const after = await queriesSent();

    expect(after.grouped - before.grouped).toBe(2);
    expect(after.single - before.single).toBe(0);
    for (const [index, result] of together.entries()) {
      const expected = alone[index];
      expect(result.noData).toBe(expected?.noData);
      for (const [m, metric] of result.results.entries()) {
        const own = expected?.results[m];
        expect({ ...metric, value: undefined, message: undefined }).toEqual({
          ...own,
          value: undefined,
          message: undefined,
        });
        if (own?.value === null) expect(metric.value).toBeNull();
        else expect(metric.value).toBeCloseTo(own?.value ?? Number.NaN, 6);
      }
    }
    // The figures are the exposition's, not merely equal to each other.
    expect(together[3]?.results[0]?.value).toBeCloseTo(97, 6);
    expect(together[APPS]?.results[0]?.value).toBeCloseTo(60, 6);
    const [quiet, absent] = [together[APPS + 1], together[APPS + 2]];
    expect(quiet?.results.map((r) => r.value)).toEqual([null, null]);
    expect(absent?.noData).toBe(true);
  });

  it('groups a custom query whose only variables are the rollout’s identity, with the same values', async () => {
    const selector = 'namespace="{{ namespace }}", deployment="{{ target }}", direction="inbound"';
    const custom = (r: { namespace: string; target: string }, asking: MetricsProvider) => ({
      ...options(r, asking),
      metrics: [
        {
          name: 'failure-share',
          query: `sum(rate(response_total{${selector}, classification="failure"}[{{ interval }}])) / sum(rate(response_total{${selector}}[{{ interval }}])) * 100`,
          thresholdRange: { max: 5 },
        },
        {
          name: 'p90',
          query: `histogram_quantile(0.9, sum(rate(response_latency_ms_bucket{${selector}}[{{ interval }}])) by (le))`,
          thresholdRange: { max: 60 },
        },
      ],
    });
    const alone = await Promise.all(rollouts.map((r) => analyse(custom(r, provider))));
    const before = await queriesSent();
    const coalesced = coalesceQueries(provider);
    const together = await Promise.all(rollouts.map((r) => analyse(custom(r, coalesced))));
    const after = await queriesSent();
    expect(after.grouped - before.grouped).toBe(2);
    expect(after.single - before.single).toBe(0);
    const values = (results: typeof together) =>
      results.map((result) => result.results.map((metric) => metric.value));
    for (const [index, row] of values(together).entries()) {
      for (const [m, value] of row.entries()) {
        const own = values(alone)[index]?.[m];
        if (own === null || own === undefined) expect(value).toBeNull();
        else expect(value).toBeCloseTo(own, 6);
      }
    }
    expect(together[3]?.results[0]?.value).toBeCloseTo(3, 6);
  });

  it('groups backend-mode rollouts by destination service', async () => {
    const coalesced = coalesceQueries(provider);
    const before = await queriesSent();
    const results = await Promise.all(
      ['api-canary', 'other-canary'].map((service) =>
        analyse({
          ...options({ namespace: 'prod', target: 'unused' }, coalesced),
          mode: 'backend',
          service,
          metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
        }),
      ),
    );
    expect((await queriesSent()).grouped - before.grouped).toBe(1);
    expect(results[0]?.results[0]?.value).toBeCloseTo(99.5, 6);
    expect(results[1]?.results[0]?.value).toBeNull();
  });

  it('splits the rollouts past the size bound into several queries, with the same values', async () => {
    const coalesced = coalesceQueries(provider, { maxMembers: 8 });
    const before = await queriesSent();
    const together = await Promise.all(rollouts.map((r) => analyse(options(r, coalesced))));
    const grouped = (await queriesSent()).grouped - before.grouped;
    expect(grouped).toBeGreaterThanOrEqual(2 * Math.ceil(rollouts.length / 8));
    expect(together[3]?.results[0]?.value).toBeCloseTo(97, 6);
  });

  it('fails every rollout of a grouped query that cannot be sent as it would have alone', async () => {
    const down = createPrometheusProvider({ address: `http://127.0.0.1:${await freePort()}` });
    const alone = await analyse(options({ namespace: 'prod', target: 'app-1' }, down));
    const coalesced = coalesceQueries(down);
    const together = await Promise.all(
      ['app-1', 'app-2'].map((target) =>
        analyse(options({ namespace: 'prod', target }, coalesced)),
      ),
    );
    expect(together[0]).toEqual(alone);
    expect(together[1]?.results[0]?.message).toMatch(
      /^metric request-success-rate: Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the connection \(ECONNREFUSED\) for query sum\(rate\(response_total\{namespace="prod", deployment=~"app-2"/,
    );
  });

  it('samples the judge of many rollouts, both sides, with one range query per metric', async () => {
    await scraped(prometheus, provider, 12);
    const spec: JudgeSpec = {
      window: '6s',
      step: '1s',
      confidence: 0.98,
      tolerance: 0.25,
      pass: 95,
      marginal: 75,
      metrics: [
        {
          name: 'request-success-rate',
          interval: '2s',
          quantile: 0.99,
          critical: false,
          effectSize: [1, 1],
          nanStrategy: 'remove',
        },
      ],
    };
    // One grid for all, ending before the newest scrapes, so both ways read the same samples.
    const nowMs = Date.now() - 3000;
    const judged = (i: number, asking: MetricsProvider): JudgeSamplingOptions => ({
      spec,
      namespace: 'prod',
      canary: { mode: 'workload', provider: asking, target: `app-${i}`, service: 'unused' },
      primary: { mode: 'workload', provider: asking, target: `app-${i + 10}`, service: 'unused' },
      analysisIntervalMs: 3000,
      nowMs,
    });
    const indexes = [0, 1, 2, 3, 4, 5];
    const alone = await Promise.all(indexes.map((i) => sampleAndJudge(judged(i, provider))));
    const before = await queriesSent();
    const coalesced = coalesceQueries(provider);
    const together = await Promise.all(indexes.map((i) => sampleAndJudge(judged(i, coalesced))));
    const after = await queriesSent();
    expect(after.grouped - before.grouped).toBe(1);
    expect(after.single - before.single).toBe(0);
    expect(together).toEqual(alone);
    expect(together[0]?.judgement?.metrics[0]?.canaryMedian).toBeCloseTo(100, 6);
    expect(together[3]?.judgement?.metrics[0]?.canaryMedian).toBeCloseTo(97, 6);
  });
});
