/**
 * The metrics adapter against a fake Prometheus on 127.0.0.1 that answers each query with a
 * generated answer: well-formed or junk sample values, wrong shapes, errors with huge
 * messages, huge and compressed bodies, redirects, silence, a trickle, a cut connection.
 * Oracle (what the answer must give):
 * - a one-series vector or a scalar whose value is a decimal float: that number;
 *   "NaN", "+Inf", "-Inf" (or a decimal beyond a double's range), or an empty vector: no data (null);
 * - anything else, including a body over 1 MiB once decompressed, a redirect, no answer within
 *   the timeout: a MetricsQueryError.
 * crash: anything else thrown, or an exception escaping; hang: no outcome within the timeout
 * plus 3 s; unnamed: an error that does not name the address and the query, or is longer than
 * 1,000 characters (a foreign answer echoed unbounded).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createPrometheusProvider, MetricsQueryError } from '../../src/metrics/prometheus.js';
import { Random } from '../random.js';
import { type Finding, Tally } from '../tally.js';

type Expected = { value: number } | { noData: true } | { error: string };

interface Answer {
  what: string;
  expected: Expected;
  /** True for an answer that never completes: the query can only time out. */
  silent?: boolean;
  respond(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Answers that never complete are waited for briefly; every other answer patiently, so that a
 * loaded machine never turns an expected value into a timeout.
 */
const QUICK_TIMEOUT_MS = 300;
const PATIENT_TIMEOUT_MS = 5_000;
const BODY_CAP = 1024 * 1024;
const QUERY = 'sum(rate(response_total{namespace="fuzz"}[1m]))';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Prometheus's own sample formats: decimal floats, NaN, +Inf, -Inf. */
function expectedOf(text: string): Expected {
  if (text === 'NaN' || text === '+Inf' || text === '-Inf') return { noData: true };
  if (!DECIMAL.test(text)) return { error: `sample value ${JSON.stringify(text)} is not a number` };
  const value = Number(text);
  return Number.isFinite(value) ? { value } : { noData: true };
}

const VALUES = [
  '1',
  '0',
  '-0',
  '99.25',
  '1e3',
  '1E-3',
  '+5',
  '-7.5',
  '.5',
  '5.',
  '0.000001',
  '1e308',
  '1e999',
  '123456789012345678901234567890',
  'NaN',
  '+Inf',
  '-Inf',
  '12abc',
  '0x63',
  '0b1',
  '0o7',
  ' 12',
  '12 ',
  '',
  'Infinity',
  '-Infinity',
  'inf',
  'nan',
  'Inf',
  '1_000',
  '1,5',
  '١٢',
  '１２',
  '12\n',
  'true',
  'null',
  '--1',
  '1e',
  'e3',
  '.',
  '+',
  '0x',
  '1e+',
];

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function vector(...values: unknown[]) {
  return {
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1_700_000_000, v] })),
    },
  };
}

let bomb: Buffer | undefined;

function generate(rng: Random): Answer {
  const text = rng.pick(VALUES);
  const error = (why: string): Expected => ({ error: why });
  switch (rng.int(0, 21)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return {
        what: `vector value ${JSON.stringify(text)}`,
        expected: expectedOf(text),
        respond: (_q, r) => json(r, 200, vector(text)),
      };
    case 4:
      return {
        what: `scalar value ${JSON.stringify(text)}`,
        expected: expectedOf(text),
        respond: (_q, r) =>
          json(r, 200, {
            status: 'success',
            data: { resultType: 'scalar', result: [1_700_000_000, text] },
          }),
      };
    case 5: {
      const raw = rng.pick([12, 0, null, true, ['1'], { v: 1 }]);
      return {
        what: `sample value ${JSON.stringify(raw)} (not a string)`,
        expected: error('not a string'),
        respond: (_q, r) => json(r, 200, vector(raw)),
      };
    }
    case 6:
      return {
        what: 'empty vector',
        expected: { noData: true },
        respond: (_q, r) => json(r, 200, vector()),
      };
    case 7:
      return {
        what: 'two series',
        expected: error('two series'),
        respond: (_q, r) => json(r, 200, vector('1', '2')),
      };
    case 8: {
      const type = rng.pick(['matrix', 'string', 'streams', '', null]);
      return {
        what: `resultType ${JSON.stringify(type)}`,
        expected: error('wrong result type'),
        respond: (_q, r) =>
          json(r, 200, { status: 'success', data: { resultType: type, result: [] } }),
      };
    }
    case 9: {
      const shape = rng.pick<unknown>([
        { status: 'error', errorType: 'bad_data', error: 'x' },
        { status: 'success' },
        { status: 'success', data: null },
        { status: 'success', data: { resultType: 'vector', result: 'x' } },
        { status: 'success', data: { resultType: 'vector', result: [null] } },
        { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1] }] } },
        { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: 'x' }] } },
        { status: 'success', data: { resultType: 'scalar', result: null } },
        { status: 'success', data: { resultType: 'scalar', result: ['1', '2'] } },
        [],
        'x',
        null,
        5,
      ]);
      return {
        what: `answer ${JSON.stringify(shape)}`,
        expected: error('malformed'),
        respond: (_q, r) => json(r, 200, JSON.stringify(shape)),
      };
    }
    case 10: {
      const status = rng.pick([400, 401, 404, 422, 429, 500, 503]);
      const message = rng.chance(0.5)
        ? 'x'.repeat(rng.pick([10, 100_000, 900_000]))
        : '\u001b[31mred\r\nX-Injected: 1';
      return {
        what: `HTTP ${status} with a ${message.length}-character error`,
        expected: error('http error'),
        respond: (_q, r) =>
          json(r, status, { status: 'error', errorType: 'internal', error: message }),
      };
    }
    case 11:
      return {
        what: 'an HTML page',
        expected: error('not json'),
        respond: (_q, r) => {
          r.writeHead(200, { 'content-type': 'text/html' });
          r.end(`<html>${'<div>'.repeat(rng.pick([1, 10_000]))}Grafana</html>`);
        },
      };
    case 12: {
      const cut = JSON.stringify(vector('1'));
      const at = rng.int(0, cut.length - 1);
      return {
        what: `JSON cut at ${at}`,
        expected: error('truncated'),
        respond: (_q, r) => json(r, 200, cut.slice(0, at)),
      };
    }
    case 13: {
      const size = rng.pick([2, 5, 20]) * 1024 * 1024;
      const body = JSON.stringify({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { huge: 'a'.repeat(size) }, value: [1, '42'] }],
        },
      });
      return {
        what: `a ${size >> 20} MiB answer`,
        expected: error('over the cap'),
        respond: (_q, r) => json(r, 200, body),
      };
    }
    case 14: {
      const size = rng.pick([BODY_CAP - 200, 512 * 1024]);
      const body = JSON.stringify({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { big: 'a'.repeat(size) }, value: [1, '42'] }],
        },
      });
      return {
        what: `an answer of ${body.length} bytes (under the cap)`,
        expected: { value: 42 },
        respond: (_q, r) => json(r, 200, body),
      };
    }
    case 15:
      return {
        what: 'a gzip bomb (64 MiB of spaces before a valid answer)',
        expected: error('over the cap'),
        respond: (_q, r) => {
          bomb ??= gzipSync(
            Buffer.concat([
              Buffer.alloc(64 * 1024 * 1024, ' '),
              Buffer.from(JSON.stringify(vector('42'))),
            ]),
          );
          r.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          r.end(bomb);
        },
      };
    case 16: {
      const status = rng.pick([301, 302, 303, 307, 308]);
      return {
        what: `a ${status} redirect to a valid answer`,
        expected: error('redirect'),
        respond: (_q, r) => {
          r.writeHead(status, {
            location: rng.chance(0.5) ? '/redirected' : 'http://127.0.0.1:1/api/v1/query',
          });
          r.end();
        },
      };
    }
    case 17:
      return {
        what: 'no answer at all',
        expected: error('timeout'),
        silent: true,
        respond: () => undefined,
      };
    case 18:
      return {
        what: 'a trickle of one byte every 100 ms',
        expected: error('timeout'),
        silent: true,
        respond: (req, r) => {
          r.writeHead(200, { 'content-type': 'application/json' });
          const timer = setInterval(() => r.write(' '), 100);
          req.socket.once('close', () => clearInterval(timer));
        },
      };
    case 19:
      return {
        what: 'the connection cut',
        expected: error('reset'),
        respond: (req) => req.socket.destroy(),
      };
    case 20:
      return {
        what: 'HTTP 204 without a body',
        expected: error('no body'),
        respond: (_q, r) => {
          r.writeHead(204);
          r.end();
        },
      };
    default:
      return {
        what: '100,000 nested arrays',
        expected: error('too deep'),
        respond: (_q, r) => json(r, 200, `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      };
  }
}

function judge(
  answer: Answer,
  outcome: { value: unknown } | { error: unknown },
  address: string,
): Finding | undefined {
  const about = `for ${answer.what}`;
  if ('error' in outcome) {
    const { error } = outcome;
    if (!(error instanceof MetricsQueryError)) {
      return {
        kind: 'crash',
        detail: `threw ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 160)}` : String(error).slice(0, 160)} ${about}`,
      };
    }
    if (!('error' in answer.expected)) {
      return {
        kind: 'accepted-but-invalid',
        detail: `failed (${error.message.slice(0, 160)}) where ${JSON.stringify(answer.expected)} was due ${about}`,
      };
    }
    if (
      !error.message.includes(address) ||
      !error.message.includes(QUERY) ||
      error.message.length > 1_000
    ) {
      return {
        kind: 'unnamed',
        detail: `error of ${error.message.length} characters: ${error.message.slice(0, 160)} ${about}`,
      };
    }
    return undefined;
  }
  const { value } = outcome;
  if (value !== null && typeof value !== 'number')
    return { kind: 'crash', detail: `returned ${String(value)} ${about}` };
  const expected = answer.expected;
  const right =
    'value' in expected ? value === expected.value : 'noData' in expected ? value === null : false;
  return right
    ? undefined
    : {
        kind: 'accepted-but-invalid',
        detail: `returned ${value} where ${JSON.stringify(expected)} was due ${about}`,
      };
}

export async function runMetricsTarget(seed: number, count: number): Promise<Tally> {
  const tally = new Tally('metrics');
  let current: Answer | undefined;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/redirected')) return json(res, 200, vector('42'));
    if (!req.url?.startsWith('/api/v1/query') || !current)
      return json(res, 404, { status: 'error', error: 'no such path' });
    current.respond(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => escaped.push(error);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  const quick = createPrometheusProvider({ address, timeoutMs: QUICK_TIMEOUT_MS });
  const patient = createPrometheusProvider({ address, timeoutMs: PATIENT_TIMEOUT_MS });
  try {
    for (let index = 0; index < count; index++) {
      const rng = Random.forCase(seed, 'metrics', index);
      const answer = generate(rng);
      current = answer;
      const bound = (answer.silent ? QUICK_TIMEOUT_MS : PATIENT_TIMEOUT_MS) + 3_000;
      const provider = answer.silent ? quick : patient;
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hang'>((resolve) => {
        timer = setTimeout(() => resolve('hang'), bound);
      });
      const outcome = await Promise.race([
        provider.query(QUERY).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
        hang,
      ]);
      clearTimeout(timer);
      let finding =
        outcome === 'hang'
          ? {
              kind: 'hang' as const,
              detail: `no outcome within ${bound} ms for ${answer.what}`,
            }
          : judge(answer, outcome, address);
      const thrown = escaped.splice(0);
      if (!finding && thrown.length > 0)
        finding = {
          kind: 'crash',
          detail: `an exception escaped: ${String(thrown[0]).slice(0, 160)} for ${answer.what}`,
        };
      tally.record(index, { finding, accepted: outcome !== 'hang' && 'value' in outcome });
    }
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return tally;
}
