/**
 * Linkerd proxy metrics, kept per series and written in the Prometheus text format with
 * Linkerd's names, labels and latency buckets. Written by hand rather than with prom-client
 * because every request touches a label set chosen at run time, and the series of pods that
 * are gone must be dropped.
 */

export const LATENCY_BUCKETS_MS = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000,
  20000, 30000, 40000, 50000,
] as const;

/** The pod whose proxy records the series: the server (inbound) or the caller (outbound). */
export interface Workload {
  namespace: string;
  deployment: string;
  pod: string;
}

export interface Destination {
  service: string;
  namespace: string;
  authority: string;
}

export interface Observation {
  direction: 'inbound' | 'outbound';
  workload: Workload;
  /** Outbound only: the backend Service the request was sent to. */
  destination?: Destination;
  /** Inbound only: the request's authority as the server received it. */
  authority?: string;
  statusCode: number;
  /** A gRPC response's grpc-status (from its trailers, or its headers when it has none). */
  grpcStatus?: number;
  /** Time to the response's headers (Linkerd measures time to first byte). */
  latencyMs: number;
}

interface ByStatus {
  statusCode: number;
  grpcStatus?: number;
  responses: number;
  buckets: Float64Array;
  sumMs: number;
}

interface Series {
  podKey: string;
  labels: string;
  requests: number;
  /** By status code and, for gRPC, grpc-status. */
  statuses: Map<string, ByStatus>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function baseLabels(observation: Observation): string {
  const { direction, workload, destination } = observation;
  let text = `direction="${direction}",namespace="${escapeLabel(workload.namespace)}",deployment="${escapeLabel(workload.deployment)}",pod="${escapeLabel(workload.pod)}"`;
  if (destination) {
    text += `,dst_service="${escapeLabel(destination.service)}",dst_namespace="${escapeLabel(destination.namespace)}",authority="${escapeLabel(destination.authority)}"`;
  } else if (observation.authority) {
    text += `,authority="${escapeLabel(observation.authority)}"`;
  }
  return text;
}

/**
 * Linkerd's response classification: a gRPC response fails on any grpc-status but 0 (OK),
 * another response on a server error.
 */
export function classify(statusCode: number, grpcStatus?: number): 'success' | 'failure' {
  if (grpcStatus !== undefined) return grpcStatus === 0 ? 'success' : 'failure';
  return statusCode >= 500 ? 'failure' : 'success';
}

export class ProxyMetrics {
  private readonly series = new Map<string, Series>();
  private readonly forgottenPods = new Map<string, number>();

  record(observation: Observation): void {
    const labels = baseLabels(observation);
    let series = this.series.get(labels);
    if (!series) {
      const { namespace, pod } = observation.workload;
      series = { podKey: `${namespace}/${pod}`, labels, requests: 0, statuses: new Map() };
      this.series.set(labels, series);
    }
    series.requests++;
    const { statusCode, grpcStatus } = observation;
    const key = `${statusCode}|${grpcStatus ?? ''}`;
    let byStatus = series.statuses.get(key);
    if (!byStatus) {
      byStatus = {
        statusCode,
        ...(grpcStatus !== undefined ? { grpcStatus } : {}),
        responses: 0,
        buckets: new Float64Array(LATENCY_BUCKETS_MS.length),
        sumMs: 0,
      };
      series.statuses.set(key, byStatus);
    }
    byStatus.responses++;
    byStatus.sumMs += observation.latencyMs;
    const bucket = LATENCY_BUCKETS_MS.findIndex((le) => observation.latencyMs <= le);
    if (bucket >= 0) byStatus.buckets[bucket] = (byStatus.buckets[bucket] ?? 0) + 1;
  }

  /** Drops a deleted pod's series once `retentionMs` has passed (see `sweep`). */
  forgetPod(namespace: string, pod: string, nowMs: number, retentionMs: number): void {
    this.forgottenPods.set(`${namespace}/${pod}`, nowMs + retentionMs);
  }

  /** Removes the series of pods forgotten long enough ago. */
  sweep(nowMs: number): void {
    const expired = new Set<string>();
    for (const [podKey, at] of this.forgottenPods) {
      if (at <= nowMs) expired.add(podKey);
    }
    if (expired.size === 0) return;
    for (const [labels, series] of this.series) {
      if (expired.has(series.podKey)) this.series.delete(labels);
    }
    for (const podKey of expired) this.forgottenPods.delete(podKey);
  }

  get seriesCount(): number {
    return this.series.size;
  }

  /** The Prometheus text exposition (format 0.0.4). */
  expose(): string {
    const requests: string[] = [
      '# HELP request_total Total count of HTTP requests.',
      '# TYPE request_total counter',
    ];
    const responses: string[] = [
      '# HELP response_total Total count of HTTP responses.',
      '# TYPE response_total counter',
    ];
    const latency: string[] = [
      "# HELP response_latency_ms Elapsed times between a request's headers being sent and its response's headers arriving",
      '# TYPE response_latency_ms histogram',
    ];
    for (const series of this.series.values()) {
      requests.push(`request_total{${series.labels}} ${series.requests}`);
      for (const byStatus of series.statuses.values()) {
        const { statusCode, grpcStatus } = byStatus;
        const labels = `${series.labels},status_code="${statusCode}"`;
        // As linkerd2-proxy writes them: gRPC responses also carry their grpc-status.
        const classification = `classification="${classify(statusCode, grpcStatus)}"${
          grpcStatus !== undefined ? `,grpc_status="${grpcStatus}"` : ''
        }`;
        responses.push(`response_total{${labels},${classification}} ${byStatus.responses}`);
        let cumulative = 0;
        for (const [i, le] of LATENCY_BUCKETS_MS.entries()) {
          cumulative += byStatus.buckets[i] ?? 0;
          latency.push(`response_latency_ms_bucket{${labels},le="${le}"} ${cumulative}`);
        }
        latency.push(`response_latency_ms_bucket{${labels},le="+Inf"} ${byStatus.responses}`);
        latency.push(`response_latency_ms_sum{${labels}} ${byStatus.sumMs}`);
        latency.push(`response_latency_ms_count{${labels}} ${byStatus.responses}`);
      }
    }
    return `${requests.join('\n')}\n${responses.join('\n')}\n${latency.join('\n')}\n`;
  }
}
