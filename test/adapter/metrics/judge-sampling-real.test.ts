import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JudgeSpec } from '../../../src/api/types.js';
import { type JudgeSamplingOptions, sampleAndJudge } from '../../../src/metrics/judge-sampling.js';
import { createPrometheusProvider, type MetricsProvider } from '../../../src/metrics/prometheus.js';
import { type RealPrometheus, scraped, startPrometheus } from '../../support/real-prometheus.js';

/*
 * Linkerd-shaped inbound counters of two Deployments that grow linearly with time, so every
 * step's rate is known exactly. Both answer 100 requests per second, 90% of them successes.
 * `api-primary`: 10% under 25 ms, 50% under 50 ms, 98% under 100 ms: p50 50 ms.
 * `api` (the canary): 10% under 50 ms, 50% under 100 ms, 98% under 200 ms: p50 100 ms.
 */
const BUCKETS = ['25', '50', '100', '200', '400', '+Inf'];
const CUMULATIVE: Record<string, number[]> = {
  'api-primary': [10, 50, 98, 100, 100, 100],
  api: [0, 10, 50, 98, 100, 100],
};

function exposition(t: number): string {
  const lines = ['# TYPE response_total counter'];
  for (const deployment of Object.keys(CUMULATIVE)) {
    const labels = `namespace="prod",deployment="${deployment}",direction="inbound"`;
    lines.push(
      `response_total{${labels},classification="success",status_code="200"} ${90 * t}`,
      `response_total{${labels},classification="failure",status_code="500"} ${10 * t}`,
    );
  }
  lines.push('# TYPE response_latency_ms histogram');
  for (const [deployment, counts] of Object.entries(CUMULATIVE)) {
    const labels = `namespace="prod",deployment="${deployment}",direction="inbound"`;
    BUCKETS.forEach((le, i) => {
      lines.push(`response_latency_ms_bucket{${labels},le="${le}"} ${(counts[i] ?? 0) * t}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

let prometheus: RealPrometheus;
let provider: MetricsProvider;

const judgeSpec = (metrics: JudgeSpec['metrics']): JudgeSpec => ({
  window: '8s',
  step: '1s',
  confidence: 0.98,
  tolerance: 0.25,
  pass: 95,
  marginal: 75,
  metrics,
});

const metric = (name: string, extra: Partial<JudgeSpec['metrics'][number]> = {}) => ({
  name,
  quantile: 0.99,
  critical: false,
  effectSize: [1, 1],
  nanStrategy: 'remove' as const,
  // Two scrapes at 1s: the range a rate needs.
  interval: '2s',
  ...extra,
});

const options = (spec: JudgeSpec, primaryTarget = 'api-primary'): JudgeSamplingOptions => ({
  spec,
  namespace: 'prod',
  canary: { mode: 'workload', provider, target: 'api', service: 'api-canary' },
  primary: { mode: 'workload', provider, target: primaryTarget, service: 'api-primary' },
  analysisIntervalMs: 8000,
  nowMs: Date.now(),
});

beforeAll(async () => {
  prometheus = await startPrometheus(exposition);
  provider = createPrometheusProvider({ address: prometheus.address, timeoutMs: 5000 });
  // Data over the whole window on both sides, before any judgement is asked for.
  await scraped(prometheus, provider, 12, 90_000);
}, 150_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('the judge sampling a real Prometheus', () => {
  it('reads a series per side on the grid of the window', async () => {
    const end = Math.floor(Date.now() / 1000) * 1000;
    const points = await provider.queryRange?.('sum(rate(response_total{deployment="api"}[2s]))', {
      startMs: end - 7000,
      endMs: end,
      stepMs: 1000,
    });
    expect(points).toHaveLength(8);
    // rate() extrapolates over scrapes whose times jitter: within a few percent of 100/s.
    for (const point of points ?? []) expect(Math.abs((point ?? 0) - 100)).toBeLessThan(5);
  });

  it('fails a canary whose p50 doubles, naming the metric, both medians and the shift', async () => {
    const spec = judgeSpec([metric('request-duration', { quantile: 0.5 })]);
    const check = await sampleAndJudge(options(spec));
    expect(check.result).toMatchObject({ metric: 'judge', value: 0, passed: false });
    expect(check.result.message).toMatch(
      /request-duration is High: canary median 100 vs baseline median 50, shift \+50/,
    );
    expect(check.judgement?.metrics[0]).toMatchObject({
      classification: 'High',
      canarySamples: 8,
      primarySamples: 8,
    });
  });

  it('passes the same success rate on both sides', async () => {
    const check = await sampleAndJudge(options(judgeSpec([metric('request-success-rate')])));
    expect(check.result).toEqual({ metric: 'judge', value: 100, passed: true });
    expect(check.judgement?.metrics[0]?.canaryMedian).toBeCloseTo(90, 6);
    expect(check.judgement?.metrics[0]?.primaryMedian).toBeCloseTo(90, 6);
  });

  it('never passes a primary without data', async () => {
    const check = await sampleAndJudge(
      options(judgeSpec([metric('request-success-rate')]), 'api-gone'),
    );
    expect(check.result.value).toBeNull();
    expect(check.result.passed).toBe(false);
    expect(check.result.message).toMatch(
      /request-success-rate has no verdict: no baseline samples/,
    );
  });

  it('fails on a query Prometheus rejects, naming the metric and the side', async () => {
    const check = await sampleAndJudge(
      options(judgeSpec([metric('broken', { query: 'sum(rate(response_total[{{ interval }}])' })])),
    );
    expect(check.result).toMatchObject({ metric: 'judge', value: null, passed: false });
    expect(check.result.message).toMatch(
      /^judge metric broken \((canary|primary)\): Prometheus at .* rejected the query/,
    );
    expect(check.judgement).toBeUndefined();
  });
});
