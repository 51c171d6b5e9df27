import { describe, expect, it } from 'vitest';
import { type AnalyseOptions, analyse } from '../../../src/metrics/analysis.js';
import type { VectorSeries } from '../../../src/metrics/grouped-result.js';
import { type Groupable, groupable } from '../../../src/metrics/grouping.js';
import { type MetricsProvider, MetricsQueryError } from '../../../src/metrics/prometheus.js';
import { coalesceQueries, type GroupedAsk } from '../../../src/metrics/query-coalescer.js';

/** A provider answering grouped queries from a table of success rates by deployment. */
function fakePrometheus(
  rates: Record<string, number | null>,
  fail?: () => Error | undefined,
): { provider: MetricsProvider; grouped: { promql: string; timeMs: number }[]; single: string[] } {
  const grouped: { promql: string; timeMs: number }[] = [];
  const single: string[] = [];
  const provider: MetricsProvider = {
    address: 'http://prometheus:9090',
    query: async (promql) => {
      single.push(promql);
      const name =
        /deployment=~"([^"]+)"|alone\((\w+)\)/.exec(promql)?.slice(1).find(Boolean) ?? '';
      return rates[name] ?? null;
    },
    queryVector: async (promql, timeMs) => {
      grouped.push({ promql, timeMs });
      const error = fail?.();
      if (error) throw error;
      const names = /deployment=~"([^"]+)"/.exec(promql)?.[1]?.split('|') ?? [];
      return names.flatMap((name): VectorSeries[] =>
        name in rates
          ? [
              {
                labels: { namespace: 'prod', deployment: name },
                sample: { value: rates[name] ?? null },
              },
            ]
          : [],
      );
    },
  };
  return { provider, grouped, single };
}

function askOf(name: string, metric = 'request-success-rate', interval = '10s'): GroupedAsk {
  const group = groupable(
    { name: metric },
    { mode: 'workload', namespace: 'prod', target: name, service: `${name}-canary` },
    interval,
  ) as Groupable;
  return { group, query: `alone(${name})`, analysisIntervalMs: 200 };
}

describe('coalesceQueries', () => {
  it('answers rollouts that ask the same definition together with one query, each its own value', async () => {
    const prometheus = fakePrometheus({ a: 99, b: 97.5, c: null });
    const coalesced = coalesceQueries(prometheus.provider);
    const values = await Promise.all(
      ['a', 'b', 'c', 'd'].map((n) => coalesced.queryGrouped(askOf(n))),
    );
    expect(values).toEqual([99, 97.5, null, null]);
    expect(prometheus.grouped).toHaveLength(1);
    expect(prometheus.grouped[0]?.promql).toContain('deployment=~"a|b|c|d"');
    expect(prometheus.single).toEqual([]);
  });

  it('asks each definition once: another metric or window is another query', async () => {
    const prometheus = fakePrometheus({ a: 99, b: 98 });
    const coalesced = coalesceQueries(prometheus.provider);
    await Promise.all([
      coalesced.queryGrouped(askOf('a')),
      coalesced.queryGrouped(askOf('b')),
      coalesced.queryGrouped(askOf('a', 'request-success-rate', '30s')),
      coalesced.queryGrouped(askOf('b', 'request-duration')),
    ]);
    expect(prometheus.grouped).toHaveLength(3);
  });

  it('splits a batch past its size bound into queries evaluated at one instant', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const prometheus = fakePrometheus(Object.fromEntries(names.map((n, i) => [n, i])));
    const two = askOf('a').group.definition.render([
      { namespace: 'prod', name: 'a' },
      { namespace: 'prod', name: 'b' },
    ]);
    const coalesced = coalesceQueries(prometheus.provider, { maxQueryChars: two.length });
    const values = await Promise.all(names.map((n) => coalesced.queryGrouped(askOf(n))));
    expect(values).toEqual([0, 1, 2, 3, 4]);
    expect(prometheus.grouped).toHaveLength(3);
    expect(new Set(prometheus.grouped.map((q) => q.timeMs)).size).toBe(1);
  });

  it('sends a full batch at once', async () => {
    const prometheus = fakePrometheus({ a: 1, b: 2 });
    const coalesced = coalesceQueries(prometheus.provider, { maxMembers: 2 });
    const asked = Promise.all(['a', 'b'].map((n) => coalesced.queryGrouped(askOf(n))));
    expect(prometheus.grouped).toHaveLength(1);
    await expect(asked).resolves.toEqual([1, 2]);
  });

  it('fails every member as its own query would have failed, naming its own query', async () => {
    const prometheus = fakePrometheus(
      { a: 1, b: 2 },
      () =>
        new MetricsQueryError(
          'http://prometheus:9090',
          'the grouped query',
          'refused the connection (ECONNREFUSED)',
          'check --prometheus-url',
        ),
    );
    const coalesced = coalesceQueries(prometheus.provider);
    const outcomes = await Promise.allSettled(
      ['a', 'b'].map((n) => coalesced.queryGrouped(askOf(n))),
    );
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message)).toEqual([
      'Prometheus at http://prometheus:9090 refused the connection (ECONNREFUSED) for query alone(a); check --prometheus-url',
      'Prometheus at http://prometheus:9090 refused the connection (ECONNREFUSED) for query alone(b); check --prometheus-url',
    ]);
  });

  it('fails only the member whose series cannot be read', async () => {
    const provider: MetricsProvider = {
      address: 'http://prometheus:9090',
      query: async () => null,
      queryVector: async () => [
        {
          labels: { namespace: 'prod', deployment: 'a' },
          sample: { problem: 'its series 0 has the value "x"', fix: 'check it' },
        },
        { labels: { namespace: 'prod', deployment: 'b' }, sample: { value: 98 } },
      ],
    };
    const coalesced = coalesceQueries(provider);
    const [a, b] = await Promise.allSettled(
      ['a', 'b'].map((n) => coalesced.queryGrouped(askOf(n))),
    );
    expect(a?.status === 'rejected' && (a.reason as Error).message).toBe(
      'Prometheus at http://prometheus:9090 answered, but its series 0 has the value "x" for query alone(a); check it',
    );
    expect(b).toEqual({ status: 'fulfilled', value: 98 });
  });

  it('leaves out a member cancelled before the query, and sends none when all are', async () => {
    const prometheus = fakePrometheus({ a: 1, b: 2 });
    const coalesced = coalesceQueries(prometheus.provider);
    const cancel = new AbortController();
    const a = coalesced.queryGrouped(askOf('a'), cancel.signal);
    const b = coalesced.queryGrouped(askOf('b'));
    cancel.abort();
    await expect(a).rejects.toThrow(
      /was not asked for query alone\(a\); the analysis was cancelled/,
    );
    await expect(b).resolves.toBe(2);
    expect(prometheus.grouped.map((q) => q.promql)).toEqual([
      expect.stringContaining('deployment=~"b"'),
    ]);

    const alone = new AbortController();
    const c = coalesced.queryGrouped(askOf('a'), alone.signal);
    alone.abort();
    await expect(c).rejects.toThrow(/was not asked/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(prometheus.grouped).toHaveLength(1);
  });

  it('answers a large batch a few members per turn of the event loop, I/O in between', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `w${i}`);
    const prometheus = fakePrometheus(Object.fromEntries(names.map((n) => [n, 1])));
    const coalesced = coalesceQueries(prometheus.provider);
    const order: string[] = [];
    await Promise.all(
      names.map((n, index) =>
        coalesced.queryGrouped(askOf(n)).then(() => {
          // The first answer's continuation starts some I/O: it must be served before all
          // the others' continuations have run, not after.
          if (index === 0) setImmediate(() => order.push('io'));
          order.push('answer');
        }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(prometheus.grouped).toHaveLength(1);
    const io = order.indexOf('io');
    expect(io).toBeGreaterThan(0);
    expect(io).toBeLessThan(20);
    expect(order).toHaveLength(101);
  });

  it('asks alone where the provider cannot answer grouped queries', async () => {
    const { provider, single } = fakePrometheus({ a: 99 });
    const coalesced = coalesceQueries({ query: provider.query });
    await expect(coalesced.queryGrouped(askOf('a'))).resolves.toBe(99);
    expect(single).toEqual(['alone(a)']);
  });
});

describe('coalesceQueries for range queries', () => {
  const range = (endMs: number) => ({ startMs: endMs - 2000, endMs, stepMs: 1000 });
  const rangeProvider = () => {
    const asked: { promql: string; endMs: number }[] = [];
    const provider: MetricsProvider = {
      query: async () => null,
      queryRange: async () => [],
      queryRangeVector: async (promql, grid) => {
        asked.push({ promql, endMs: grid.endMs });
        return [
          {
            labels: { namespace: 'prod', deployment: 'a' },
            sample: { value: [1, null, 3] },
          },
        ];
      },
    };
    return { provider, asked };
  };

  it('asks the rollouts on one grid together; no series is a grid of nulls', async () => {
    const { provider, asked } = rangeProvider();
    const coalesced = coalesceQueries(provider);
    const [a, b] = await Promise.all(
      ['a', 'b'].map((n) => coalesced.queryRangeGrouped(askOf(n), range(10_000))),
    );
    expect(a).toEqual([1, null, 3]);
    expect(b).toEqual([null, null, null]);
    expect(asked).toHaveLength(1);
  });

  it('asks another grid apart, never mixing their samples', async () => {
    const { provider, asked } = rangeProvider();
    const coalesced = coalesceQueries(provider);
    await Promise.all([
      coalesced.queryRangeGrouped(askOf('a'), range(10_000)),
      coalesced.queryRangeGrouped(askOf('b'), range(11_000)),
    ]);
    expect(asked.map((q) => q.endMs).sort()).toEqual([10_000, 11_000]);
  });
});

describe('analyse with a coalescing provider', () => {
  const options = (target: string, provider: MetricsProvider): AnalyseOptions => ({
    mode: 'workload',
    namespace: 'prod',
    target,
    service: `${target}-canary`,
    defaultIntervalMs: 200,
    provider,
    metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
  });

  it('judges rollouts analysed together exactly as alone, with one query for all', async () => {
    const rates = { healthy: 99.5, faulty: 50, silent: null };
    const alone = fakePrometheus(rates);
    const together = fakePrometheus(rates);
    const coalesced = coalesceQueries(together.provider);
    const targets = ['healthy', 'faulty', 'silent'];
    const expected = await Promise.all(targets.map((t) => analyse(options(t, alone.provider))));
    const actual = await Promise.all(targets.map((t) => analyse(options(t, coalesced))));
    expect(actual).toEqual(expected);
    expect(alone.single).toHaveLength(3);
    expect(together.grouped).toHaveLength(1);
    expect(together.single).toEqual([]);
  });

  it('still asks a metric with its own query alone', async () => {
    const prometheus = fakePrometheus({ api: 99.5 });
    const coalesced = coalesceQueries(prometheus.provider);
    await analyse({
      ...options('api', coalesced),
      metrics: [
        { name: 'own', query: 'sum(x{deployment=~"{{ target }}"})', thresholdRange: { min: 0 } },
      ],
    });
    expect(prometheus.single).toEqual(['sum(x{deployment=~"api"})']);
    expect(prometheus.grouped).toEqual([]);
  });
});
