import { Histogram, type Registry } from 'prom-client';
import { PrometheusDriver } from 'prometheus-query';
import { formatDuration } from '../api/duration.js';
import { readSingleValue } from './query-result.js';

/** Where metric values come from. `null` means no data: an empty result, NaN or Inf. */
export interface MetricsProvider {
  query(promql: string, signal?: AbortSignal): Promise<number | null>;
}

export interface PrometheusProviderOptions {
  /** Base address of Prometheus, such as `http://prometheus.linkerd-viz:9090`. */
  address: string;
  /** How long one query may take, connection included (default 5 s). */
  timeoutMs?: number;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  /** Where `fledge_metric_query_duration_seconds` is registered; none = not counted. */
  registry?: Registry;
}

const DEFAULT_TIMEOUT_MS = 5000;
const QUERY_DURATION = 'fledge_metric_query_duration_seconds';
const ADDRESS_FIX = 'check --prometheus-url (FLEDGE_PROMETHEUS_URL) and that Prometheus is up';

/** A metric query failed; the message names the Prometheus address, the query, the cause and a fix. */
export class MetricsQueryError extends Error {
  override name = 'MetricsQueryError';
  constructor(
    readonly address: string,
    readonly query: string,
    readonly reason: string,
    fix: string,
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

interface Failure {
  reason: string;
  fix: string;
}

interface PrometheusQueryRejection {
  errorType?: string;
  error?: string;
  code?: string;
  httpStatus?: number;
  prometheus?: { errorType?: string; error?: string };
  original?: unknown;
}

/**
 * prometheus-query's own rejection from a 2xx answer it cannot read passes through its error
 * path a second time and comes out wrapped as a network error; this digs the first one out.
 */
function innermost(rejection: PrometheusQueryRejection): PrometheusQueryRejection {
  const original = rejection.original as PrometheusQueryRejection | undefined;
  const wrapped = rejection.errorType === 'network_error' && rejection.code === undefined;
  return wrapped && original?.errorType ? original : rejection;
}

/** Turns whatever prometheus-query threw (a plain object, or an Error) into words a person can act on. */
function describeFailure(thrown: unknown, timeoutMs: number): Failure {
  if (thrown instanceof Error) {
    return { reason: `gave an answer fledge could not read (${thrown.message})`, fix: ADDRESS_FIX };
  }
  const rejection = innermost((thrown ?? {}) as PrometheusQueryRejection);
  const detail = rejection.prometheus?.error ?? rejection.error ?? JSON.stringify(thrown);
  switch (rejection.errorType) {
    case 'timeout_error':
      return { reason: `did not answer in ${seconds(timeoutMs)}`, fix: ADDRESS_FIX };
    case 'network_error':
      if (rejection.code === 'ECONNREFUSED') {
        return { reason: 'refused the connection (ECONNREFUSED)', fix: ADDRESS_FIX };
      }
      if (rejection.code === 'ENOTFOUND' || rejection.code === 'EAI_AGAIN') {
        return { reason: `could not be resolved (${rejection.code})`, fix: ADDRESS_FIX };
      }
      return { reason: `could not be reached (${rejection.code ?? detail})`, fix: ADDRESS_FIX };
    case 'http_error': {
      const status = rejection.httpStatus ?? 0;
      const kind = rejection.prometheus?.errorType;
      const answer = `answered HTTP ${status}${kind ? ` ${kind}` : ''}: ${detail}`;
      if (status === 400 || status === 422) {
        return { reason: `rejected the query (${answer})`, fix: "fix the metric's query" };
      }
      if (status === 401 || status === 403) {
        return { reason: answer, fix: 'check the bearer token or basic auth fledge sends' };
      }
      return { reason: answer, fix: "check Prometheus's health and logs" };
    }
    case 'client_error':
      return {
        reason: 'answered with something that is not the Prometheus HTTP API',
        fix: 'check that --prometheus-url is the base address of Prometheus, without /api/v1 or a UI path',
      };
    default:
      return { reason: `failed (${detail})`, fix: ADDRESS_FIX };
  }
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

/** A MetricsProvider that runs instant queries against Prometheus's HTTP API. */
export function createPrometheusProvider(options: PrometheusProviderOptions): MetricsProvider {
  const address = options.address.replace(/\/+$/, '');
  // Timers and Prometheus's timeout parameter both want whole milliseconds.
  const timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  const histogram = options.registry ? queryDurationHistogram(options.registry) : undefined;
  const headers = options.bearerToken ? { Authorization: `Bearer ${options.bearerToken}` } : {};

  async function run(promql: string, signal?: AbortSignal): Promise<number | null> {
    if (signal?.aborted) {
      throw new MetricsQueryError(address, promql, 'was not asked', 'the analysis was cancelled');
    }
    const deadline = AbortSignal.timeout(timeoutMs);
    const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
    // One driver per query: prometheus-query takes no per-call signal, only an interceptor.
    const driver = new PrometheusDriver({
      endpoint: address,
      headers,
      ...(options.basicAuth ? { auth: options.basicAuth } : {}),
      timeout: timeoutMs,
      requestInterceptor: { onFulfilled: (config) => Object.assign(config, { signal: abort }) },
    });
    let answer: Awaited<ReturnType<PrometheusDriver['instantQuery']>>;
    try {
      // Prometheus reads its timeout parameter as a whole-unit duration: "2500ms", never "2.5s".
      answer = await driver.instantQuery(promql, undefined, formatDuration(timeoutMs));
    } catch (thrown) {
      if (deadline.aborted) {
        throw new MetricsQueryError(
          address,
          promql,
          `did not answer in ${seconds(timeoutMs)}`,
          ADDRESS_FIX,
          { cause: thrown },
        );
      }
      if (signal?.aborted) {
        throw new MetricsQueryError(
          address,
          promql,
          'was not waited for',
          'the analysis was cancelled',
          { cause: thrown },
        );
      }
      const failure = describeFailure(thrown, timeoutMs);
      throw new MetricsQueryError(address, promql, failure.reason, failure.fix, { cause: thrown });
    }
    const read = readSingleValue(answer);
    if ('problem' in read) {
      throw new MetricsQueryError(address, promql, `answered, but ${read.problem}`, read.fix);
    }
    return read.value;
  }

  return {
    async query(promql, signal) {
      const started = performance.now();
      let result: 'value' | 'no_data' | 'error' = 'error';
      try {
        const value = await run(promql, signal);
        result = value === null ? 'no_data' : 'value';
        return value;
      } finally {
        histogram?.observe(
          { provider: 'prometheus', result },
          (performance.now() - started) / 1000,
        );
      }
    },
  };
}
