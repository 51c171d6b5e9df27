import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusProvider, MetricsQueryError } from '../../../src/metrics/prometheus.js';

const QUERY = 'sum(rate(response_total[1m]))';

type Handler = (req: IncomingMessage, res: ServerResponse, form: URLSearchParams) => void;

/** A fake Prometheus on 127.0.0.1 that answers each request with the next handler given. */
let server: Server;
let address: string;
let handlers: Handler[] = [];
const seen: {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, form });
      const handler = handlers.shift();
      if (handler) handler(req, res, form);
      else json(res, 500, { status: 'error', errorType: 'test', error: 'no answer planned' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  handlers = [];
  seen.length = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function vectorOf(...values: unknown[]) {
  return {
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((value, i) => ({ metric: { pod: `p${i}` }, value: [1700000000, value] })),
    },
  };
}

function answer(status: number, body: unknown, headers?: Record<string, string>) {
  handlers.push((_req, res) => json(res, status, body, headers));
}

async function failureOf(promise: Promise<unknown>): Promise<MetricsQueryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MetricsQueryError);
  return error as MetricsQueryError;
}

const provider = (options: { timeoutMs?: number; maxAnswerBytes?: number } = {}) =>
  createPrometheusProvider({ address, ...options });

describe('Prometheus provider, against a fake Prometheus on 127.0.0.1', () => {
  it('posts the query and its timeout, and returns the value of a one-series answer', async () => {
    answer(200, vectorOf('99.25'));
    await expect(provider({ timeoutMs: 2500 }).query(QUERY)).resolves.toBe(99.25);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/query' });
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({ query: QUERY, timeout: '2500ms' });
  });

  it('returns null for an empty vector, NaN, +Inf and -Inf', async () => {
    for (const body of [vectorOf(), vectorOf('NaN'), vectorOf('+Inf'), vectorOf('-Inf')]) {
      answer(200, body);
      await expect(provider().query(QUERY)).resolves.toBeNull();
    }
  });

  it('reads a scalar answer', async () => {
    answer(200, { status: 'success', data: { resultType: 'scalar', result: [1, '3.5'] } });
    await expect(provider().query(QUERY)).resolves.toBe(3.5);
  });

  it.each(['12abc', '0x63', ' 12', '', 'Infinity', '1_000', '１２'])(
    'refuses the sample value %j, which parseFloat read as a number',
    async (value) => {
      answer(200, vectorOf(value));
      const error = await failureOf(provider().query(QUERY));
      expect(error.message).toContain(
        `has the value ${JSON.stringify(value.trim() === value ? value : value.trim())}`,
      );
      expect(error.message).toContain(`for query ${QUERY}`);
    },
  );

  it('refuses a sample written as a JSON number, which Prometheus never does', async () => {
    answer(200, vectorOf(12));
    const error = await failureOf(provider().query(QUERY));
    expect(error.message).toMatch(/its one sample is not a \[time, "value"\] pair/);
  });

  it('refuses several series with an error naming the fix', async () => {
    answer(200, vectorOf('1', '2'));
    const error = await failureOf(provider().query(QUERY));
    expect(error.message).toBe(
      `Prometheus at ${address} answered, but it returned 2 series (first {pod="p0"}) where one is needed for query ${QUERY}; aggregate the query to one series, for example wrap it in sum(...)`,
    );
  });

  it('explains an HTTP 500 in Prometheus’s words, cut short and on one line', async () => {
    answer(500, {
      status: 'error',
      errorType: 'internal',
      error: `out of\r\nmemory ${'x'.repeat(100_000)}`,
    });
    const error = await failureOf(provider().query(QUERY));
    expect(error.message).toMatch(
      /^Prometheus at .* answered HTTP 500 internal: out of memory x+\.\.\. for query/,
    );
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('blames the query on a bad_data answer', async () => {
    answer(400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 5' });
    const error = await failureOf(provider().query(QUERY));
    expect(error.message).toMatch(
      /rejected the query \(answered HTTP 400 bad_data: parse error at char 5\)/,
    );
    expect(error.message).toMatch(/fix the metric's query$/);
  });

  it('points at the address when the answer is not the Prometheus API', async () => {
    handlers.push((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Grafana</html>');
    });
    const error = await failureOf(provider().query(QUERY));
    expect(error.message).toMatch(/is not JSON.*check that --prometheus-url is the base address/);
  });

  it('stops reading an answer past its cap, naming the query and the cap', async () => {
    let written = 0;
    handlers.push((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, ' ');
      const write = () => {
        while (written < 64 * 1024 * 1024 && !req.socket.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    });
    const error = await failureOf(provider({ maxAnswerBytes: 256 * 1024 }).query(QUERY));
    expect(error.message).toMatch(
      new RegExp(
        `answered with more than 262144 bytes, the most fledge reads for query ${QUERY.replace(/[()[\]]/g, '\\$&')}`,
      ),
    );
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('counts the cap after decompression, so a gzip bomb stops there too', async () => {
    const bomb = gzipSync(
      Buffer.concat([
        Buffer.alloc(16 * 1024 * 1024, ' '),
        Buffer.from(JSON.stringify(vectorOf('42'))),
      ]),
    );
    handlers.push((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const error = await failureOf(provider().query(QUERY));
    expect(error.message).toMatch(/answered with more than 1048576 bytes/);
  });

  it.each([301, 302, 307, 308])(
    'refuses an HTTP %d redirect rather than following it',
    async (status) => {
      handlers.push((_req, res) => {
        res.writeHead(status, { location: `${address}/elsewhere/${'x'.repeat(5000)}` });
        res.end();
      });
      answer(200, vectorOf('42'));
      const error = await failureOf(provider().query(QUERY));
      expect(error.message).toMatch(
        new RegExp(`answered with a redirect \\(HTTP ${status} to .*/elsewhere`),
      );
      expect(error.message).toMatch(/give --prometheus-url as the address that answers itself$/);
      expect(seen).toHaveLength(1);
    },
  );

  it('times out with the address, the time and the query', async () => {
    handlers.push(() => undefined);
    const error = await failureOf(provider({ timeoutMs: 200 }).query(QUERY));
    expect(error.message).toBe(
      `Prometheus at ${address} did not answer in 0.2s for query ${QUERY}; check --prometheus-url (FLEDGE_PROMETHEUS_URL) and that Prometheus is up`,
    );
  });

  it('times out on an answer that trickles in, the body included', async () => {
    handlers.push((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 20);
      req.socket.once('close', () => clearInterval(timer));
    });
    const error = await failureOf(provider({ timeoutMs: 300 }).query(QUERY));
    expect(error.message).toMatch(/did not answer in 0.3s/);
  });

  it('accepts a timeout that is not a whole number of milliseconds', async () => {
    handlers.push(() => undefined);
    const error = await failureOf(provider({ timeoutMs: 150.4 }).query(QUERY));
    expect(error.message).toMatch(/did not answer in 0.15s/);
  });

  it('says the connection was refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failureOf(
      createPrometheusProvider({ address: `http://127.0.0.1:${port}` }).query(QUERY),
    );
    expect(error.message).toMatch(
      new RegExp(
        `^Prometheus at http://127.0.0.1:${port} refused the connection \\(ECONNREFUSED\\) for query`,
      ),
    );
  });

  it('says the connection was cut', async () => {
    handlers.push((req) => req.socket.destroy());
    const error = await failureOf(provider().query(QUERY));
    expect(error.message).toMatch(/could not be reached/);
  });

  it('sends the bearer token', async () => {
    answer(200, vectorOf('1'));
    await expect(
      createPrometheusProvider({ address, bearerToken: 's3cret' }).query(QUERY),
    ).resolves.toBe(1);
    expect(seen[0]?.headers.authorization).toBe('Bearer s3cret');
  });

  it('sends basic auth and explains a 401', async () => {
    answer(401, { status: 'error', errorType: 'unauthorized', error: 'bad credentials' });
    const error = await failureOf(
      createPrometheusProvider({
        address,
        basicAuth: { username: 'fledge', password: 'pw' },
      }).query(QUERY),
    );
    expect(seen[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('fledge:pw').toString('base64')}`,
    );
    expect(error.message).toMatch(/HTTP 401.*check the bearer token or basic auth/);
  });

  it("sends a template's headers beside the bearer token, never in place of fledge's own", async () => {
    answer(200, vectorOf('2'));
    const tenant = createPrometheusProvider({
      address,
      bearerToken: 't0ken',
      headers: { 'X-Scope-OrgID': 'team-a', Accept: 'text/plain' },
    });
    await expect(tenant.query(QUERY)).resolves.toBe(2);
    expect(seen[0]?.headers['x-scope-orgid']).toBe('team-a');
    expect(seen[0]?.headers.authorization).toBe('Bearer t0ken');
    expect(seen[0]?.headers.accept).toBe('application/json');
    await tenant.close?.();
  });

  it('asks for credentials in a MetricTemplate Secret when it sent none and got a 401', async () => {
    answer(401, { status: 'error', errorType: 'unauthorized', error: 'no token' });
    const error = await failureOf(
      createPrometheusProvider({
        address,
        configuredBy: 'MetricTemplate test/mt spec.provider.address',
      }).query(QUERY),
    );
    expect(error.message).toMatch(/HTTP 401.*give them in a MetricTemplate provider Secret/);
  });

  it('names the MetricTemplate field to fix when its address refuses connections', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failureOf(
      createPrometheusProvider({
        address: `http://127.0.0.1:${port}`,
        configuredBy: 'MetricTemplate test/mt spec.provider.address',
      }).query(QUERY),
    );
    expect(error.message).toMatch(
      /refused the connection.*check MetricTemplate test\/mt spec.provider.address/,
    );
  });

  it('goes through the given HTTP proxy', async () => {
    // A forward proxy sees the absolute URL in the request line.
    answer(200, vectorOf('3'));
    const viaProxy = createPrometheusProvider({
      address: 'http://prometheus.example:9090',
      proxy: address,
    });
    await expect(viaProxy.query(QUERY)).resolves.toBe(3);
    expect(seen[0]?.url).toBe('http://prometheus.example:9090/api/v1/query');
    await viaProxy.close?.();
  });

  it('stops waiting when the caller aborts', async () => {
    handlers.push(() => undefined);
    const controller = new AbortController();
    const pending = provider({ timeoutMs: 5000 }).query(QUERY, controller.signal);
    setTimeout(() => controller.abort(), 50);
    const error = await failureOf(pending);
    expect(error.message).toMatch(/the analysis was cancelled$/);
  });

  it('counts query durations by result in the given registry', async () => {
    const registry = new Registry();
    const counted = createPrometheusProvider({ address, registry });
    createPrometheusProvider({ address, registry });
    answer(200, vectorOf('1'));
    answer(200, vectorOf());
    answer(500, { status: 'error', errorType: 'internal', error: 'x' });
    await counted.query(QUERY);
    await counted.query(QUERY);
    await counted.query(QUERY).catch(() => undefined);
    const text = await registry.metrics();
    for (const result of ['value', 'no_data', 'error']) {
      expect(text).toContain(
        `fledge_metric_query_duration_seconds_count{provider="prometheus",result="${result}"} 1`,
      );
    }
  });
});
