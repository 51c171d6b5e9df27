/**
 * Instant queries to Prometheus's HTTP API (POST /api/v1/query), with Node's fetch. The answer
 * is read as a stream and dropped past a size cap (counted after decompression, so a gzip bomb
 * stops there too), redirects are refused rather than followed, and one deadline covers the
 * connection, the headers and the body. Every failure is a MetricsQueryError naming the
 * address, the query, the cause and a fix; nothing Prometheus says is quoted unbounded.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { Agent, type Dispatcher, fetch, ProxyAgent, type RequestInit, type Response } from 'undici';
import { formatDuration } from '../api/duration.js';
import { type MatrixSeries, readMatrix, readVector, type VectorSeries } from './grouped-result.js';
import { readSingleSeries, readSingleValue, sanitiseForeign } from './query-result.js';

/** Where metric values come from. `null` means no data: an empty result, NaN or Inf. */
export interface MetricsProvider {
  /** Where it asks, for messages. */
  readonly address?: string;
  query(promql: string, signal?: AbortSignal): Promise<number | null>;
  /**
   * Every series of an instant query evaluated at `timeMs` (epoch ms): a grouped query for
   * many rollouts. Absent on providers that answer one value only.
   */
  queryVector?(promql: string, timeMs: number, signal?: AbortSignal): Promise<VectorSeries[]>;
  /** Every series of a range query: a grouped `queryRange`. */
  queryRangeVector?(
    promql: string,
    range: QueryRange,
    signal?: AbortSignal,
  ): Promise<MatrixSeries[]>;
  /**
   * When the source began collecting (epoch ms), so that data it cannot have had (a window
   * reaching back before a restart) is told from data the canary did not produce; undefined
   * when it does not say.
   */
  startedAt?(signal?: AbortSignal): Promise<number | undefined>;
  /**
   * One series over a range, a point per step from `start` to `end` (null where the series
   * has no value). Absent on providers that can only answer instant queries.
   */
  queryRange?(promql: string, range: QueryRange, signal?: AbortSignal): Promise<(number | null)[]>;
  /** Lets go of its connections; a query begun before still ends. */
  close?(): Promise<void>;
}

/** A query_range's grid; times in epoch milliseconds, Prometheus counts in seconds. */
export interface QueryRange {
  startMs: number;
  endMs: number;
  stepMs: number;
}

/** How to reach a Prometheus over TLS, beyond the system's trusted authorities. */
export interface PrometheusTls {
  /** Accept any certificate: for a test setup only. */
  insecureSkipVerify?: boolean;
  /** PEM certificates of the authorities that sign Prometheus's certificate. */
  ca?: string;
}

export interface PrometheusProviderOptions {
  /** Base address of Prometheus, such as `http://prometheus.linkerd-viz:9090`. */
  address: string;
  /** How long one query may take, connection and answer included (default 5 s). */
  timeoutMs?: number;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  /** Where `fledge_metric_query_duration_seconds` is registered; none = not counted. */
  registry?: Registry;
  /** The largest answer read, in bytes after decompression (default 1 MiB). */
  maxAnswerBytes?: number;
  /** Sent with every query, such as `X-Scope-OrgID` for a multi-tenant Mimir or Cortex. */
  headers?: Record<string, string>;
  tls?: PrometheusTls;
  /** An HTTP proxy to reach the address through (CONNECT for https). */
  proxy?: string;
  /** Where a person changes the address, for messages (default: the controller's flag). */
  configuredBy?: string;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** Prometheus refuses a query_range of more than 11,000 points per series. */
export const MAX_RANGE_POINTS = 11_000;

/** Why a grid cannot be asked for, as a fix; undefined when it can. */
export function rangeProblem(range: QueryRange): string | undefined {
  const { startMs, endMs, stepMs } = range;
  if (![startMs, endMs, stepMs].every(Number.isFinite) || stepMs <= 0 || endMs < startMs) {
    return `ask for a range whose end is not before its start and whose step is above 0 (got start ${startMs}, end ${endMs}, step ${stepMs} ms)`;
  }
  if ((endMs - startMs) / stepMs + 1 > MAX_RANGE_POINTS) {
    return `ask for at most ${MAX_RANGE_POINTS} points per series: lengthen the step or shorten the window`;
  }
  return undefined;
}
/** An instant query for one series answers in well under a KiB; a MiB is ample. */
export const DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024;
const QUERY_DURATION = 'fledge_metric_query_duration_seconds';
const QUERIES = 'fledge_prometheus_queries_total';
const ADDRESS_FIX = 'check --prometheus-url (FLEDGE_PROMETHEUS_URL) and that Prometheus is up';

/** A metric query failed; the message names the Prometheus address, the query, the cause and a fix. */
export class MetricsQueryError extends Error {
  override name = 'MetricsQueryError';
  constructor(
    readonly address: string,
    readonly query: string,
    readonly reason: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`Prometheus at ${address} ${reason} for query ${shorten(query)}; ${fix}`, options);
  }
}

function shorten(query: string): string {
  const oneLine = query.replace(/\s+/g, ' ').trim();
  return oneLine.length > 240 ? `${oneLine.slice(0, 240)}...` : oneLine;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

class Failure extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(reason);
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What fetch's "fetch failed" was: the network error's code, where undici gives one. */
function networkFailure(thrown: unknown, addressFix: string): Failure {
  const cause = (thrown as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED')
    return new Failure('refused the connection (ECONNREFUSED)', addressFix);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new Failure(`could not be resolved (${code})`, addressFix);
  }
  if (code !== undefined && TLS_CODES.has(code)) {
    return new Failure(
      `presented a certificate fledge does not trust (${code})`,
      "give the authority that signed it as ca.crt in the provider's Secret, or check the address's host name",
    );
  }
  const detail = code ?? (typeof cause?.message === 'string' ? cause.message : String(thrown));
  return new Failure(`could not be reached (${sanitiseForeign(detail, 80)})`, addressFix);
}

/** The body as text, read chunk by chunk and abandoned past `max` bytes. */
async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new Failure(
        `answered with more than ${max} bytes, the most fledge reads`,
        'aggregate the query to one series (an instant query for one value answers in well under a KiB)',
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why a non-2xx answer failed, in Prometheus's own words where it gave some. */
function httpFailure(status: number, body: unknown, credentialsFix: string): Failure {
  const answer = (body ?? {}) as { errorType?: unknown; error?: unknown };
  const kind =
    typeof answer.errorType === 'string' ? ` ${sanitiseForeign(answer.errorType, 40)}` : '';
  const why = typeof answer.error === 'string' ? `: ${sanitiseForeign(answer.error)}` : '';
  const text = `answered HTTP ${status}${kind}${why}`;
  if (status === 400 || status === 422)
    return new Failure(`rejected the query (${text})`, "fix the metric's query");
  if (status === 401 || status === 403) return new Failure(text, credentialsFix);
  return new Failure(text, "check Prometheus's health and logs");
}

function queryDurationHistogram(registry: Registry): Histogram<'provider' | 'result'> {
  const existing = registry.getSingleMetric(QUERY_DURATION);
  if (existing) return existing as Histogram<'provider' | 'result'>;
  return new Histogram({
    name: QUERY_DURATION,
    help: 'Time taken by metric queries of canary analyses, by provider and result (value, no_data, error).',
    labelNames: ['provider', 'result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}

type QueryKind = 'grouped' | 'single';

function queriesCounter(registry: Registry): Counter<'kind'> {
  const existing = registry.getSingleMetric(QUERIES);
  if (existing) return existing as Counter<'kind'>;
  return new Counter({
    name: QUERIES,
    help: 'Queries sent to Prometheus-API servers: grouped (one for many rollouts) or single (one rollout).',
    labelNames: ['kind'],
    registers: [registry],
  });
}

/** The connections of one provider: its own when it has TLS settings or a proxy. */
function dispatcherFor(options: PrometheusProviderOptions): Dispatcher | undefined {
  const tls = options.tls ?? {};
  const connect = {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
  };
  // No tunnel for http: the playground's mesh proxy takes absolute-form requests, not CONNECT.
  if (options.proxy) {
    return new ProxyAgent({ uri: options.proxy, requestTls: connect, proxyTunnel: false });
  }
  return Object.keys(connect).length > 0 ? new Agent({ connect }) : undefined;
}

/** A MetricsProvider that runs instant queries against Prometheus's HTTP API. */
export function createPrometheusProvider(options: PrometheusProviderOptions): MetricsProvider {
  const address = options.address.replace(/\/+$/, '');
  const endpoint = `${address}/api/v1/query`;
  const runtimeInfo = `${address}/api/v1/status/runtimeinfo`;
  const rangeEndpoint = `${address}/api/v1/query_range`;
  // Timers and Prometheus's timeout parameter both want whole milliseconds.
  const timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  const maxBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const histogram = options.registry ? queryDurationHistogram(options.registry) : undefined;
  const queries = options.registry ? queriesCounter(options.registry) : undefined;
  const configuredBy = options.configuredBy ?? '--prometheus-url';
  const addressFix = options.configuredBy
    ? `check ${options.configuredBy} and that Prometheus is up`
    : ADDRESS_FIX;
  const credentialsFix =
    options.bearerToken || options.basicAuth
      ? 'check the bearer token or basic auth fledge sends'
      : 'this Prometheus wants credentials: give them in a MetricTemplate provider Secret';
  const dispatcher = dispatcherFor(options);
  // Custom headers first: fledge's own framing and credentials are never replaced by them.
  const headers: Record<string, string> = {
    ...options.headers,
    Accept: 'application/json',
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  if (options.bearerToken) headers.Authorization = `Bearer ${options.bearerToken}`;
  else if (options.basicAuth) {
    const { username, password } = options.basicAuth;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  function ask(
    promql: string,
    at: QueryRange | { timeMs: number } | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    // Prometheus reads its timeout parameter as a whole-unit duration: "2500ms", never "2.5s".
    const body = new URLSearchParams({ query: promql, timeout: formatDuration(timeoutMs) });
    const range = at && 'stepMs' in at ? at : undefined;
    if (at && 'timeMs' in at) body.set('time', String(at.timeMs / 1000));
    if (range) {
      body.set('start', String(range.startMs / 1000));
      body.set('end', String(range.endMs / 1000));
      body.set('step', String(range.stepMs / 1000));
    }
    return answerOf(range ? rangeEndpoint : endpoint, { method: 'POST', headers, body }, signal);
  }

  async function answerOf(url: string, init: RequestInit, signal: AbortSignal): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        redirect: 'manual',
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (thrown) {
      if (signal.aborted) throw thrown;
      throw networkFailure(thrown, addressFix);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      throw new Failure(
        `answered with a redirect (HTTP ${response.status}${location ? ` to ${sanitiseForeign(location, 100)}` : ''}), which fledge does not follow`,
        `give ${configuredBy} as the address that answers itself`,
      );
    }
    const text = await readCapped(response, maxBytes);
    const answer = parseJson(text);
    if (!response.ok) throw httpFailure(response.status, answer, credentialsFix);
    if (answer === undefined) {
      throw new Failure(
        'answered with something that is not JSON',
        `check that ${configuredBy} is the base address of Prometheus, without /api/v1 or a UI path`,
      );
    }
    return answer;
  }

  async function run<T>(
    promql: string,
    range: QueryRange | { timeMs: number } | undefined,
    read: (answer: unknown) => { value: T } | { problem: string; fix: string },
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) {
      throw new MetricsQueryError(address, promql, 'was not asked', 'the analysis was cancelled');
    }
    const deadline = AbortSignal.timeout(timeoutMs);
    const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let answer: unknown;
    try {
      answer = await ask(promql, range, abort);
    } catch (thrown) {
      if (deadline.aborted) {
        throw new MetricsQueryError(
          address,
          promql,
          `did not answer in ${seconds(timeoutMs)}`,
          addressFix,
          {
            cause: thrown,
          },
        );
      }
      if (signal?.aborted) {
        throw new MetricsQueryError(
          address,
          promql,
          'was not waited for',
          'the analysis was cancelled',
          {
            cause: thrown,
          },
        );
      }
      const failure = thrown instanceof Failure ? thrown : networkFailure(thrown, addressFix);
      throw new MetricsQueryError(address, promql, failure.reason, failure.fix, { cause: thrown });
    }
    const outcome = read(answer);
    if ('problem' in outcome) {
      throw new MetricsQueryError(address, promql, `answered, but ${outcome.problem}`, outcome.fix);
    }
    return outcome.value;
  }

  async function counted<T>(
    kind: QueryKind,
    run: () => Promise<T>,
    hasData: (value: T) => boolean,
  ): Promise<T> {
    queries?.inc({ kind });
    const started = performance.now();
    let result: 'value' | 'no_data' | 'error' = 'error';
    try {
      const value = await run();
      result = hasData(value) ? 'value' : 'no_data';
      return value;
    } finally {
      histogram?.observe({ provider: 'prometheus', result }, (performance.now() - started) / 1000);
    }
  }

  return {
    address,
    // Prometheus 2.14+ says when it started; an older one, or any failure, says nothing.
    async startedAt(signal) {
      const deadline = AbortSignal.timeout(timeoutMs);
      try {
        const answer = await answerOf(
          runtimeInfo,
          { method: 'GET', headers },
          signal ? AbortSignal.any([signal, deadline]) : deadline,
        );
        const startTime = (answer as { data?: { startTime?: unknown } }).data?.startTime;
        const at = typeof startTime === 'string' ? Date.parse(startTime) : Number.NaN;
        return Number.isFinite(at) ? at : undefined;
      } catch {
        return undefined;
      }
    },
    query: (promql, signal) =>
      counted(
        'single',
        () => run(promql, undefined, readSingleValue, signal),
        (value) => value !== null,
      ),
    queryVector: (promql, timeMs, signal) =>
      counted(
        'grouped',
        () => run(promql, { timeMs }, readVector, signal),
        (series) => series.length > 0,
      ),
    queryRangeVector: (promql, range, signal) => {
      const problem = rangeProblem(range);
      if (problem !== undefined) {
        return Promise.reject(new MetricsQueryError(address, promql, 'was not asked', problem));
      }
      return counted(
        'grouped',
        () => run(promql, range, (answer) => readMatrix(answer, range), signal),
        (series) => series.length > 0,
      );
    },
    queryRange: (promql, range, signal) => {
      const problem = rangeProblem(range);
      if (problem !== undefined) {
        return Promise.reject(new MetricsQueryError(address, promql, 'was not asked', problem));
      }
      return counted(
        'single',
        () => run(promql, range, (answer) => readSingleSeries(answer, range), signal),
        (points) => points.some((point) => point !== null),
      );
    },
    async close() {
      await dispatcher?.close();
    },
  };
}
