import { createServer } from 'node:net';
import nock from 'nock';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusProvider, MetricsQueryError } from '../../../src/metrics/prometheus.js';

const ADDRESS = 'http://prometheus.test:9090';
const QUERY = 'sum(rate(response_total[1m]))';

function vectorOf(...values: string[]) {
  return {
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((value, i) => ({ metric: { pod: `p${i}` }, value: [1700000000, value] })),
    },
  };
}

function answerQuery(status: number, body: unknown) {
  return nock(ADDRESS)
    .get('/api/v1/query')
    .query((q) => q.query === QUERY)
    .reply(status, body as nock.Body);
}

async function failureOf(promise: Promise<unknown>): Promise<MetricsQueryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MetricsQueryError);
  return error as MetricsQueryError;
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

afterEach(() => {
  nock.cleanAll();
});

describe('Prometheus provider (HTTP API mocked)', () => {
  it('returns the value of a one-series answer', async () => {
    answerQuery(200, vectorOf('99.25'));
    await expect(createPrometheusProvider({ address: ADDRESS }).query(QUERY)).resolves.toBe(99.25);
  });

  it('returns null for an empty vector', async () => {
    answerQuery(200, vectorOf());
    await expect(createPrometheusProvider({ address: ADDRESS }).query(QUERY)).resolves.toBeNull();
  });

  it('returns null for NaN and +Inf', async () => {
    answerQuery(200, vectorOf('NaN'));
    answerQuery(200, vectorOf('+Inf'));
    const provider = createPrometheusProvider({ address: ADDRESS });
    await expect(provider.query(QUERY)).resolves.toBeNull();
    await expect(provider.query(QUERY)).resolves.toBeNull();
  });

  it('refuses several series with an error naming the fix', async () => {
    answerQuery(200, vectorOf('1', '2'));
    const error = await failureOf(createPrometheusProvider({ address: ADDRESS }).query(QUERY));
    expect(error.message).toBe(
      `Prometheus at ${ADDRESS} answered, but it returned 2 series (first {pod="p0"}) where one is needed for query ${QUERY}; aggregate the query to one series, for example wrap it in sum(...)`,
    );
  });

  it('explains an HTTP 500', async () => {
    answerQuery(500, { status: 'error', errorType: 'internal', error: 'out of memory' });
    const error = await failureOf(createPrometheusProvider({ address: ADDRESS }).query(QUERY));
    expect(error.message).toBe(
      `Prometheus at ${ADDRESS} answered HTTP 500 internal: out of memory for query ${QUERY}; check Prometheus's health and logs`,
    );
  });

  it('blames the query on a bad_data answer', async () => {
    answerQuery(400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 5' });
    const error = await failureOf(createPrometheusProvider({ address: ADDRESS }).query(QUERY));
    expect(error.message).toMatch(
      /rejected the query \(answered HTTP 400 bad_data: parse error at char 5\)/,
    );
    expect(error.message).toMatch(/fix the metric's query$/);
  });

  it('points at the address when the answer is not the Prometheus API', async () => {
    answerQuery(200, '<html>Grafana</html>');
    const error = await failureOf(createPrometheusProvider({ address: ADDRESS }).query(QUERY));
    expect(error.message).toMatch(
      /is not the Prometheus HTTP API.*check that --prometheus-url is the base address/,
    );
  });

  it('times out with the address, the time and the query', async () => {
    nock(ADDRESS).get('/api/v1/query').query(true).delay(2000).reply(200, vectorOf('1'));
    // The answer would resolve; only the timeout gives this error, however busy the machine.
    const error = await failureOf(
      createPrometheusProvider({ address: ADDRESS, timeoutMs: 200 }).query(QUERY),
    );
    expect(error.message).toBe(
      `Prometheus at ${ADDRESS} did not answer in 0.2s for query ${QUERY}; check --prometheus-url (FLEDGE_PROMETHEUS_URL) and that Prometheus is up`,
    );
  });

  it('accepts a timeout that is not a whole number of milliseconds', async () => {
    nock(ADDRESS).get('/api/v1/query').query(true).delay(2000).reply(200, vectorOf('1'));
    const error = await failureOf(
      createPrometheusProvider({ address: ADDRESS, timeoutMs: 150.4 }).query(QUERY),
    );
    expect(error.message).toMatch(/did not answer in 0.15s/);
  });

  it('says the connection was refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const error = await failureOf(
      createPrometheusProvider({ address: `http://127.0.0.1:${port}` }).query(QUERY),
    );
    expect(error.message).toMatch(
      new RegExp(
        `^Prometheus at http://127.0.0.1:${port} refused the connection \\(ECONNREFUSED\\) for query`,
      ),
    );
  });

  it('sends the bearer token', async () => {
    nock(ADDRESS, { reqheaders: { authorization: 'Bearer s3cret' } })
      .get('/api/v1/query')
      .query(true)
      .reply(200, vectorOf('1'));
    await expect(
      createPrometheusProvider({ address: ADDRESS, bearerToken: 's3cret' }).query(QUERY),
    ).resolves.toBe(1);
  });

  it('sends basic auth and explains a 401', async () => {
    const expected = `Basic ${Buffer.from('fledge:pw').toString('base64')}`;
    nock(ADDRESS, { reqheaders: { authorization: expected } })
      .get('/api/v1/query')
      .query(true)
      .reply(401, { status: 'error', errorType: 'unauthorized', error: 'bad credentials' });
    const provider = createPrometheusProvider({
      address: ADDRESS,
      basicAuth: { username: 'fledge', password: 'pw' },
    });
    const error = await failureOf(provider.query(QUERY));
    expect(error.message).toMatch(/HTTP 401.*check the bearer token or basic auth/);
  });

  it('stops waiting when the caller aborts', async () => {
    nock(ADDRESS).get('/api/v1/query').query(true).delay(2000).reply(200, vectorOf('1'));
    const controller = new AbortController();
    const pending = createPrometheusProvider({ address: ADDRESS, timeoutMs: 5000 }).query(
      QUERY,
      controller.signal,
    );
    setTimeout(() => controller.abort(), 50);
    const error = await failureOf(pending);
    expect(error.message).toMatch(/the analysis was cancelled$/);
  });

  it('counts query durations by result in the given registry', async () => {
    const registry = new Registry();
    const provider = createPrometheusProvider({ address: ADDRESS, registry });
    createPrometheusProvider({ address: ADDRESS, registry });
    answerQuery(200, vectorOf('1'));
    answerQuery(200, vectorOf());
    answerQuery(500, { status: 'error', errorType: 'internal', error: 'x' });
    await provider.query(QUERY);
    await provider.query(QUERY);
    await provider.query(QUERY).catch(() => undefined);
    const text = await registry.metrics();
    for (const result of ['value', 'no_data', 'error']) {
      expect(text).toContain(
        `fledge_metric_query_duration_seconds_count{provider="prometheus",result="${result}"} 1`,
      );
    }
  });
});
