import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyseOptions, analyse } from '../../../src/metrics/analysis.js';
import { createPrometheusProvider, type MetricsProvider } from '../../../src/metrics/prometheus.js';
import { type RealPrometheus, scraped, startPrometheus } from '../../support/real-prometheus.js';

/*
 * A tiny exporter whose Linkerd-shaped counters grow linearly with time, so their rates are
 * known exactly: inbound at deployment `api`, 90 successes and 10 failures per second, with
 * 50% of requests under 50 ms, 98% under 100 ms and all under 200 ms (p99 = 150 ms by
 * histogram_quantile's linear interpolation); outbound to service `api-canary`, 99.5% success.
 */
function exposition(elapsedSeconds: number): string {
  const t = elapsedSeconds;
  const inbound = 'namespace="prod",deployment="api",direction="inbound"';
  const outbound =
    'namespace="callers",deployment="web",direction="outbound",dst_namespace="prod",dst_service="api-canary"';
  const lines = [
    '# TYPE response_total counter',
    `response_total{${inbound},classification="success",status_code="200"} ${90 * t}`,
    `response_total{${inbound},classification="failure",status_code="500"} ${10 * t}`,
    `response_total{${outbound},classification="success",status_code="200"} ${199 * t}`,
    `response_total{${outbound},classification="failure",status_code="503"} ${1 * t}`,
    '# TYPE response_latency_ms histogram',
  ];
  const cumulative: [string, number][] = [
    ['50', 50],
    ['100', 98],
    ['200', 100],
    ['+Inf', 100],
  ];
  for (const [le, count] of cumulative) {
    lines.push(`response_latency_ms_bucket{${inbound},le="${le}"} ${count * t}`);
    lines.push(`response_latency_ms_bucket{${outbound},le="${le}"} ${2 * count * t}`);
  }
  lines.push(
    `response_latency_ms_count{${inbound}} ${100 * t}`,
    `response_latency_ms_sum{${inbound}} ${5000 * t}`,
  );
  return `${lines.join('\n')}\n`;
}

let prometheus: RealPrometheus;
let provider: MetricsProvider;
let spawnedAt = 0;

beforeAll(async () => {
  spawnedAt = Date.now();
  prometheus = await startPrometheus(exposition);
  // 2.5 s: a timeout that is not whole seconds must still reach Prometheus as a valid duration.
  provider = createPrometheusProvider({ address: prometheus.address, timeoutMs: 2500 });
  // Series older than the 3s query window, so rate() need not extrapolate past their start.
  await scraped(prometheus, provider, 5);
}, 150_000);

afterAll(async () => {
  await prometheus?.stop();
});

const base = (mode: AnalyseOptions['mode']): Omit<AnalyseOptions, 'metrics'> => ({
  mode,
  namespace: 'prod',
  target: 'api',
  service: 'api-canary',
  defaultIntervalMs: 3000,
  provider,
});

describe('analysis against a real Prometheus', () => {
  it('says when Prometheus started (runtimeinfo), to the second', async () => {
    const startedAt = await provider.startedAt?.();
    // Prometheus reports its start time with millisecond precision from its own clock.
    expect(startedAt).toBeGreaterThanOrEqual(spawnedAt - 1000);
    expect(startedAt).toBeLessThanOrEqual(Date.now());
  });

  it('calls no data no verdict while Prometheus is younger than twice the window', async () => {
    const window = Math.ceil((Date.now() - spawnedAt) / 1000);
    const result = await analyse({
      ...base('workload'),
      metrics: [
        {
          name: 'absent',
          query: 'sum(rate(response_total{deployment="nobody"}[{{ interval }}]))',
          interval: `${window}s`,
          thresholdRange: { min: 1 },
        },
      ],
    });
    expect(result.noData).toBe(true);
    expect(result.blind).toMatch(
      /^Prometheus started \d+s ago, less than twice the \d+s window of absent/,
    );
  });

  it('measures the built-in success rate and p99 of a workload from inbound metrics', async () => {
    const result = await analyse({
      ...base('workload'),
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 } },
        { name: 'request-duration', thresholdRange: { max: 500 } },
      ],
    });
    const [success, duration] = result.results;
    expect(success?.value).toBeCloseTo(90, 6);
    expect(success?.passed).toBe(false);
    expect(success?.message).toBe('metric request-success-rate is 90, below its minimum 99');
    expect(duration?.value).toBeCloseTo(150, 6);
    expect(duration?.passed).toBe(true);
    expect(result.noData).toBe(false);
  });

  it('measures a backend from its callers’ outbound metrics', async () => {
    const result = await analyse({
      ...base('backend'),
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 } },
        { name: 'request-duration', thresholdRange: { max: 100 } },
      ],
    });
    expect(result.results[0]?.value).toBeCloseTo(99.5, 6);
    expect(result.results[0]?.passed).toBe(true);
    expect(result.results[1]?.value).toBeCloseTo(150, 6);
    expect(result.results[1]?.passed).toBe(false);
  });

  it('runs a custom template: the share of failures', async () => {
    const selector = 'namespace="{{ namespace }}",deployment="{{ target }}",direction="inbound"';
    const result = await analyse({
      ...base('workload'),
      metrics: [
        {
          name: 'failure-share',
          query: `sum(rate(response_total{${selector},classification="failure"}[{{ interval }}])) / sum(rate(response_total{${selector}}[{{ interval }}]))`,
          interval: '3s',
          thresholdRange: { max: 0.2 },
        },
      ],
    });
    // Both rates come from the same scrapes, so their ratio is exact however late those were.
    expect(result.results[0]?.value).toBeCloseTo(0.1, 6);
    expect(result.results[0]?.passed).toBe(true);
  });

  it('reports no data for a workload without traffic', async () => {
    const result = await analyse({
      ...base('workload'),
      target: 'idle',
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
    });
    expect(result.noData).toBe(true);
    expect(result.results[0]).toMatchObject({ value: null, passed: false });
  });

  it('fails a metric whose query Prometheus cannot parse, with Prometheus’s reason', async () => {
    const result = await analyse({
      ...base('workload'),
      metrics: [
        {
          name: 'broken',
          query: 'sum(rate(response_total[{{ interval }}])',
          thresholdRange: { max: 1 },
        },
      ],
    });
    expect(result.results[0]?.passed).toBe(false);
    expect(result.results[0]?.message).toMatch(
      /^metric broken: Prometheus at .* rejected the query \(answered HTTP 400 bad_data: .*\); fix the metric's query$/,
    );
  });
});
