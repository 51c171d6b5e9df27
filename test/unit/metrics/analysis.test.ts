import { describe, expect, it } from 'vitest';
import type { MetricSpec } from '../../../src/api/types.js';
import { type AnalyseOptions, analyse, prepareQuery } from '../../../src/metrics/analysis.js';
import type { MetricsProvider } from '../../../src/metrics/prometheus.js';

function providerOf(answer: (promql: string, signal?: AbortSignal) => Promise<number | null>) {
  const asked: string[] = [];
  const provider: MetricsProvider = {
    query: (promql, signal) => {
      asked.push(promql);
      return answer(promql, signal);
    },
  };
  return { provider, asked };
}

const base: Omit<AnalyseOptions, 'metrics' | 'provider'> = {
  mode: 'workload',
  namespace: 'prod',
  target: 'api',
  service: 'api-canary',
  defaultIntervalMs: 60_000,
};

describe('analyse', () => {
  it('passes when every metric is inside its range', async () => {
    const { provider } = providerOf(async (q) => (q.includes('histogram_quantile') ? 120 : 99.5));
    const result = await analyse({
      ...base,
      provider,
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 } },
        { name: 'request-duration', thresholdRange: { max: 500 } },
      ],
    });
    expect(result).toEqual({
      noData: false,
      results: [
        { metric: 'request-success-rate', value: 99.5, min: 99, passed: true },
        { metric: 'request-duration', value: 120, max: 500, passed: true },
      ],
    });
  });

  it('runs the metrics in parallel', async () => {
    let inFlight = 0;
    let most = 0;
    const { provider } = providerOf(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return 1;
    });
    await analyse({
      ...base,
      provider,
      metrics: ['a', 'b', 'c'].map((name) => ({ name, query: 'up', thresholdRange: { min: 0 } })),
    });
    expect(most).toBe(3);
  });

  it('fails a metric whose provider throws, with its message, and does not throw itself', async () => {
    const { provider } = providerOf(async () => {
      throw new Error('Prometheus at http://p:9090 refused the connection');
    });
    const result = await analyse({
      ...base,
      provider,
      metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
    });
    expect(result.noData).toBe(false);
    expect(result.results[0]).toMatchObject({ passed: false, value: null });
    expect(result.results[0]?.message).toBe(
      'metric request-success-rate: Prometheus at http://p:9090 refused the connection',
    );
  });

  it('fails on a thrown non-Error too', async () => {
    const { provider } = providerOf(() => Promise.reject({ status: 'error' }));
    const result = await analyse({
      ...base,
      provider,
      metrics: [{ name: 'x', query: 'up', thresholdRange: { min: 0 } }],
    });
    expect(result.results[0]?.passed).toBe(false);
  });

  it('reports no data for an empty answer and fails that metric', async () => {
    const { provider } = providerOf(async () => null);
    const result = await analyse({
      ...base,
      provider,
      metrics: [{ name: 'request-duration', thresholdRange: { max: 500 } }],
    });
    expect(result.noData).toBe(true);
    expect(result.results[0]?.passed).toBe(false);
  });

  describe('when Prometheus is too young to hold the window (it restarted)', () => {
    const now = Date.now();
    const noDataSince = (startedAt: number | undefined | Error) => {
      const provider: MetricsProvider = {
        query: async (q) => (q.includes('histogram_quantile') ? 120 : null),
        startedAt: async () => {
          if (startedAt instanceof Error) throw startedAt;
          return startedAt;
        },
      };
      return analyse({
        ...base,
        provider,
        defaultIntervalMs: 6000,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 } },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
        ],
      });
    };

    it('says so when no data comes within twice the window after it started', async () => {
      const result = await noDataSince(now - 4000);
      expect(result.noData).toBe(true);
      expect(result.blind).toMatch(
        /^Prometheus started [45]s ago, less than twice the 6s window of request-success-rate/,
      );
    });

    it.each([
      ['it started two windows ago', now - 12_500],
      ['it does not say when it started', undefined],
      ['asking when it started failed', new Error('ECONNREFUSED')],
    ])('leaves no data as no data when %s', async (_, startedAt) => {
      const result = await noDataSince(startedAt);
      expect(result.noData).toBe(true);
      expect(result.blind).toBeUndefined();
    });

    it('does not ask when every metric has data', async () => {
      let asked = 0;
      const result = await analyse({
        ...base,
        provider: {
          query: async () => 100,
          startedAt: async () => {
            asked++;
            return Date.now();
          },
        },
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
      });
      expect(result.blind).toBeUndefined();
      expect(asked).toBe(0);
    });
  });

  it('renders the per-metric interval, else the analysis interval', async () => {
    const { provider, asked } = providerOf(async () => 1);
    await analyse({
      ...base,
      defaultIntervalMs: 2000,
      provider,
      metrics: [
        { name: 'own', query: 'r[{{ interval }}]', interval: '1m30s', thresholdRange: { min: 0 } },
        { name: 'default', query: 'r[{{ interval }}]', thresholdRange: { min: 0 } },
      ],
    });
    expect(asked).toEqual(['r[90s]', 'r[2s]']);
  });

  it('fails a metric whose template is broken without asking the provider', async () => {
    const { provider, asked } = providerOf(async () => 1);
    const result = await analyse({
      ...base,
      provider,
      metrics: [{ name: 'error-ratio', query: 'x{{ pod }}', thresholdRange: { max: 1 } }],
    });
    expect(asked).toEqual([]);
    expect(result.results[0]).toMatchObject({ passed: false });
    expect(result.results[0]?.message).toMatch(/error-ratio.*\{\{ pod \}\}/);
  });

  it('fails a metric when the provider outlives the per-metric timeout, and aborts the query', async () => {
    let aborted = false;
    const { provider } = providerOf(
      (_q, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('cancelled'));
          });
        }),
    );
    const result = await analyse({
      ...base,
      provider,
      perMetricTimeoutMs: 50,
      metrics: [{ name: 'slow', query: 'up', thresholdRange: { min: 0 } }],
    });
    expect(result.results[0]?.message).toMatch(
      /metric slow: its query took longer than the per-metric timeout of 50 ms/,
    );
    expect(aborted).toBe(true);
  });
});

describe('prepareQuery', () => {
  it('uses the backend-mode built-in with the service name', () => {
    const prepared = prepareQuery({ name: 'request-success-rate' }, { ...base, mode: 'backend' });
    expect('query' in prepared && prepared.query).toContain('dst_service="api-canary"');
  });

  it('refuses an unknown metric without a query, naming it and the built-ins', () => {
    expect(prepareQuery({ name: 'latency' }, base)).toEqual({
      error:
        'metric latency has no query and is not built in; give it a query or use request-success-rate or request-duration',
    });
  });

  it('refuses a malformed interval, naming the metric', () => {
    const prepared = prepareQuery({ name: 'm', query: 'up', interval: '1 minute' }, base);
    expect(prepared).toEqual({
      error: 'metric m: interval "1 minute" is not a duration; write it like 30s, 1m or 1m30s',
    });
  });
});

describe('analyse with the Rollout’s own types', () => {
  it('takes spec.analysis.metrics as validateRollout returns them', async () => {
    const metrics: MetricSpec[] = [
      { name: 'request-duration', interval: '30s', thresholdRange: { max: 500 } },
    ];
    const { provider, asked } = providerOf(async () => 200);
    const result = await analyse({ ...base, provider, metrics });
    expect(result.results[0]?.passed).toBe(true);
    expect(asked[0]).toContain('[30s]');
  });
});

describe('analyse, with metrics resolved from MetricTemplates', () => {
  it("asks a template's metric of its own provider, with its variables, and the rest of the analysis's", async () => {
    const analysis = providerOf(async () => 99.9);
    const template = providerOf(async () => 12);
    const result = await analyse({
      ...base,
      provider: analysis.provider,
      metrics: [
        { name: 'request-success-rate', thresholdRange: { min: 99 } },
        {
          name: 'latency',
          query: 'x{d="{{ variables.direction }}",r="{{ name }}",t="{{ target }}"}',
          thresholdRange: { max: 500 },
          shared: { rollout: 'podinfo', variables: { direction: 'inbound' } },
          provider: template.provider,
        },
      ],
    });
    expect(result.results.map((r) => [r.metric, r.value, r.passed])).toEqual([
      ['request-success-rate', 99.9, true],
      ['latency', 12, true],
    ]);
    expect(template.asked).toEqual(['x{d="inbound",r="podinfo",t="api"}']);
    expect(analysis.asked).toHaveLength(1);
  });

  it('fails a metric whose template could not be used, with the reason, and asks nothing for it', async () => {
    const { provider, asked } = providerOf(async () => 1);
    const result = await analyse({
      ...base,
      provider,
      metrics: [
        {
          name: 'latency',
          thresholdRange: { max: 500 },
          unavailable: 'metric latency: MetricTemplate test/latency does not exist',
        },
      ],
    });
    expect(result).toEqual({
      noData: false,
      results: [
        {
          metric: 'latency',
          value: null,
          max: 500,
          passed: false,
          message: 'metric latency: MetricTemplate test/latency does not exist',
        },
      ],
    });
    expect(asked).toEqual([]);
  });
});
