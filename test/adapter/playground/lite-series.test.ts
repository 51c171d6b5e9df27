import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyseOptions, analyse } from '../../../src/metrics/analysis.js';
import { createPrometheusProvider, type MetricsProvider } from '../../../src/metrics/prometheus.js';
import { exposeSeries, type LitePod } from '../../../src/playground/lite/series.js';
import { type RealPrometheus, scraped, startPrometheus } from '../../support/real-prometheus.js';

/*
 * The lite playground's synthesised series, scraped by a real Prometheus and read with
 * fledge's built-in queries: a healthy canary, a faulty one (ERROR_RATE 0.5) and a slow one.
 */
const pod = (deployment: string, errorRate: number, latencyMs: number): LitePod => ({
  namespace: 'bench',
  deployment,
  pod: `${deployment}-6f7d8-abcde`,
  errorRate,
  latencyMs,
  sinceMs: 0,
  before: { total: 0, failed: 0 },
});

let prometheus: RealPrometheus;
let provider: MetricsProvider;

beforeAll(async () => {
  const started = Date.now();
  const pods = [pod('healthy', 0, 3), pod('faulty', 0.5, 3), pod('slow', 0, 700)].map((p) => ({
    ...p,
    sinceMs: started,
  }));
  prometheus = await startPrometheus(() =>
    exposeSeries(pods, Date.now(), { rps: 20, latency: true }),
  );
  provider = createPrometheusProvider({ address: prometheus.address });
  await scraped(prometheus, provider, 5);
}, 150_000);

afterAll(async () => {
  await prometheus?.stop();
});

const judged = (target: string): Promise<Awaited<ReturnType<typeof analyse>>> =>
  analyse({
    mode: 'workload',
    namespace: 'bench',
    target,
    service: `${target}-canary`,
    defaultIntervalMs: 3000,
    provider,
    metrics: [
      { name: 'request-success-rate', thresholdRange: { min: 99 } },
      { name: 'request-duration', thresholdRange: { max: 500 } },
    ],
  } satisfies AnalyseOptions);

describe('lite-mode series read by the built-in queries through a real Prometheus', () => {
  it('passes a healthy canary', async () => {
    const { results, noData } = await judged('healthy');
    expect(noData).toBe(false);
    expect(results[0]?.value).toBeCloseTo(100, 6);
    expect(results.every((r) => r.passed)).toBe(true);
  });

  it('fails a canary whose pods answer half their requests with 500', async () => {
    const [success] = (await judged('faulty')).results;
    expect(success?.value).toBeGreaterThan(45);
    expect(success?.value).toBeLessThan(55);
    expect(success?.passed).toBe(false);
  });

  it('fails a canary slower than the latency bound', async () => {
    const [success, duration] = (await judged('slow')).results;
    expect(success?.passed).toBe(true);
    expect(duration?.value).toBeGreaterThan(500);
    expect(duration?.passed).toBe(false);
  });
});
