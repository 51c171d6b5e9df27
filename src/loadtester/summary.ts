import type { Result } from 'autocannon';

/** What a load run did, as answered to a blocking webhook and logged for a background one. */
export interface LoadSummary {
  /** Requests that got an answer or failed: 2xx + non2xx + errors. */
  requests: number;
  '2xx': number;
  non2xx: number;
  /** Connection errors and timeouts: requests that got no HTTP answer. */
  errors: number;
  /** Over all answers; null when none came back. */
  latencyMs: { p50: number | null; p99: number | null };
  durationSeconds: number;
  /** Achieved rate: requests per second of the planned duration, or of the run time if shorter. */
  rps: number;
  /** True when the run was stopped (shutdown) before its duration. */
  stopped: boolean;
}

/**
 * What a blocking webhook's caller gets back: enough to see whether and how much of the load
 * failed. How it failed (which answers, refused connections, latencies) stays in the
 * loadtester's log, so that a blocking run cannot be used to map internal endpoints: a caller
 * who may start load at an address learns no more than whether it answered 2xx.
 */
export interface PublicSummary {
  requests: number;
  /** Requests without a 2xx answer: non-2xx answers and requests that got none. */
  failed: number;
  durationSeconds: number;
  rps: number;
  stopped: boolean;
}

export function publicSummary(summary: LoadSummary): PublicSummary {
  return {
    requests: summary.requests,
    failed: summary.non2xx + summary.errors,
    durationSeconds: summary.durationSeconds,
    rps: summary.rps,
    stopped: summary.stopped,
  };
}

/**
 * autocannon ends a run on its next one-second tick, so its duration overshoots a planned
 * duration that is not a whole number of seconds; the rate is taken over what was planned.
 */
export function summarize(result: Result, stopped: boolean, plannedSeconds: number): LoadSummary {
  const answered = result['2xx'] + result.non2xx;
  const requests = answered + result.errors;
  const durationSeconds = result.duration;
  const rateSeconds = Math.min(durationSeconds, plannedSeconds);
  return {
    requests,
    '2xx': result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    latencyMs: {
      p50: answered === 0 ? null : result.latency.p50,
      p99: answered === 0 ? null : result.latency.p99,
    },
    durationSeconds,
    rps: rateSeconds > 0 ? round(requests / rateSeconds) : 0,
    stopped,
  };
}

/**
 * The fraction of requests without a 2xx answer. A run with no requests at all counts as all
 * failed: a check must never pass on missing data.
 */
export function errorRate(summary: LoadSummary): number {
  if (summary.requests === 0) return 1;
  return (summary.non2xx + summary.errors) / summary.requests;
}

export interface Verdict {
  passed: boolean;
  errorRate: number;
}

export function judge(summary: LoadSummary, maxErrorRate: number): Verdict {
  const rate = errorRate(summary);
  return { passed: rate <= maxErrorRate, errorRate: round(rate) };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
