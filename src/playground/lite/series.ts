/**
 * Linkerd's inbound proxy series for pods that run no process (the playground's lite mode):
 * each pod is taken to answer a steady `rps` since it started, `errorRate` of them with 500,
 * each after `latencyMs`. Counters are computed from elapsed time, not counted per request,
 * so ten thousand pods cost one line per series per scrape, not a timer per request. The
 * names, labels and buckets are the mesh simulator's (proxy-metrics.ts), which are Linkerd's.
 */
import { LATENCY_BUCKETS_MS } from '../mesh/proxy-metrics.js';

export interface LitePod {
  namespace: string;
  /** The owning Deployment, as Linkerd's Prometheus labels it (pod-identity.ts). */
  deployment: string;
  pod: string;
  /** 0..1, from the container's ERROR_RATE. */
  errorRate: number;
  /** From the container's LATENCY_MS. */
  latencyMs: number;
  /** Since when (epoch ms) the pod answers at this error rate and latency. */
  sinceMs: number;
  /** Responses, and failed ones, before `sinceMs` (at an earlier error rate). */
  before: { total: number; failed: number };
}

export interface SeriesOptions {
  /** Requests per second each pod answers. */
  rps: number;
  /** Write the latency histogram too (26 series per pod and status). */
  latency: boolean;
}

/**
 * Responses so far, and how many of them failed: those before `sinceMs`, then exactly
 * `errorRate` of the ones since, rounded down.
 */
export function responsesSince(
  pod: Pick<LitePod, 'errorRate' | 'sinceMs' | 'before'>,
  nowMs: number,
  rps: number,
): { total: number; failed: number } {
  const since = Math.floor((Math.max(0, nowMs - pod.sinceMs) * rps) / 1000);
  return {
    total: pod.before.total + since,
    failed: pod.before.failed + Math.floor(since * pod.errorRate),
  };
}

/**
 * The pod as it answers from `nowMs` on: a changed error rate or latency starts counting anew
 * from what it has answered so far, so its counters never go back.
 */
export function withBehaviour(
  previous: LitePod,
  next: Pick<LitePod, 'errorRate' | 'latencyMs'>,
  nowMs: number,
  rps: number,
): LitePod {
  if (previous.errorRate === next.errorRate && previous.latencyMs === next.latencyMs) {
    return previous;
  }
  return { ...previous, ...next, sinceMs: nowMs, before: responsesSince(previous, nowMs, rps) };
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The Prometheus text exposition (format 0.0.4) of every pod's series at `nowMs`. */
export function exposeSeries(
  pods: Iterable<LitePod>,
  nowMs: number,
  options: SeriesOptions,
): string {
  const responses = [
    '# HELP response_total Total count of HTTP responses.',
    '# TYPE response_total counter',
  ];
  const latency = [
    "# HELP response_latency_ms Elapsed times between a request's headers being sent and its response's headers arriving",
    '# TYPE response_latency_ms histogram',
  ];
  for (const pod of pods) {
    const { total, failed } = responsesSince(pod, nowMs, options.rps);
    const base = `direction="inbound",namespace="${escapeLabel(pod.namespace)}",deployment="${escapeLabel(pod.deployment)}",pod="${escapeLabel(pod.pod)}"`;
    const byStatus: Array<[number, 'success' | 'failure', number]> = [
      [200, 'success', total - failed],
    ];
    if (pod.errorRate > 0) byStatus.push([500, 'failure', failed]);
    for (const [statusCode, classification, count] of byStatus) {
      const labels = `${base},status_code="${statusCode}"`;
      responses.push(`response_total{${labels},classification="${classification}"} ${count}`);
      if (!options.latency) continue;
      for (const le of LATENCY_BUCKETS_MS) {
        latency.push(
          `response_latency_ms_bucket{${labels},le="${le}"} ${pod.latencyMs <= le ? count : 0}`,
        );
      }
      latency.push(`response_latency_ms_bucket{${labels},le="+Inf"} ${count}`);
      latency.push(`response_latency_ms_sum{${labels}} ${count * pod.latencyMs}`);
      latency.push(`response_latency_ms_count{${labels}} ${count}`);
    }
  }
  const text = options.latency ? [...responses, ...latency] : responses;
  return `${text.join('\n')}\n`;
}
