import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_MS, ProxyMetrics } from '../../../src/playground/mesh/proxy-metrics.js';

const canary = { namespace: 'prod', deployment: 'api', pod: 'api-7d9-abc' };
const caller = { namespace: 'fledge-system', deployment: 'mesh-client', pod: 'mesh-client' };

function lines(text: string, prefix: string) {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

describe('ProxyMetrics', () => {
  it("uses Linkerd's latency bucket bounds", () => {
    expect(LATENCY_BUCKETS_MS).toEqual([
      1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000,
      10000, 20000, 30000, 40000, 50000,
    ]);
  });

  it('classifies 5xx as failure and 4xx as success in response_total', () => {
    const metrics = new ProxyMetrics();
    for (const statusCode of [200, 404, 500, 503, 500]) {
      metrics.record({ direction: 'inbound', workload: canary, statusCode, latencyMs: 3 });
    }
    const text = metrics.expose();
    const base = 'direction="inbound",namespace="prod",deployment="api",pod="api-7d9-abc"';
    expect(lines(text, 'response_total{')).toEqual([
      `response_total{${base},status_code="200",classification="success"} 1`,
      `response_total{${base},status_code="404",classification="success"} 1`,
      `response_total{${base},status_code="500",classification="failure"} 2`,
      `response_total{${base},status_code="503",classification="failure"} 1`,
    ]);
    expect(lines(text, 'request_total{')).toEqual([`request_total{${base}} 5`]);
  });

  it('classifies a gRPC response by its grpc-status and labels it, as linkerd2-proxy does', () => {
    const metrics = new ProxyMetrics();
    for (const grpcStatus of [0, 14, 14, 5]) {
      metrics.record({
        direction: 'inbound',
        workload: canary,
        statusCode: 200,
        grpcStatus,
        latencyMs: 3,
      });
    }
    const base = 'direction="inbound",namespace="prod",deployment="api",pod="api-7d9-abc"';
    expect(lines(metrics.expose(), 'response_total{')).toEqual([
      `response_total{${base},status_code="200",classification="success",grpc_status="0"} 1`,
      `response_total{${base},status_code="200",classification="failure",grpc_status="14"} 2`,
      `response_total{${base},status_code="200",classification="failure",grpc_status="5"} 1`,
    ]);
  });

  it('writes cumulative buckets ending in +Inf, with _sum and _count', () => {
    const metrics = new ProxyMetrics();
    for (const latencyMs of [0.4, 7, 7, 250, 60_000]) {
      metrics.record({ direction: 'inbound', workload: canary, statusCode: 200, latencyMs });
    }
    const text = metrics.expose();
    const bucket = (le: string) =>
      lines(text, 'response_latency_ms_bucket{').find((line) => line.includes(`le="${le}"`));
    expect(bucket('1')).toMatch(/ 1$/);
    expect(bucket('5')).toMatch(/ 1$/);
    expect(bucket('10')).toMatch(/ 3$/);
    expect(bucket('300')).toMatch(/ 4$/);
    expect(bucket('50000')).toMatch(/ 4$/);
    expect(bucket('+Inf')).toMatch(/ 5$/);
    expect(lines(text, 'response_latency_ms_bucket{')).toHaveLength(26);
    expect(lines(text, 'response_latency_ms_sum{')[0]).toMatch(/ 60264.4$/);
    expect(lines(text, 'response_latency_ms_count{')[0]).toMatch(/ 5$/);
    expect(text).toContain('# TYPE response_latency_ms histogram');
  });

  it('labels outbound series with dst_service, dst_namespace and authority', () => {
    const metrics = new ProxyMetrics();
    metrics.record({
      direction: 'outbound',
      workload: caller,
      destination: {
        service: 'api-canary',
        namespace: 'prod',
        authority: 'api.prod.svc.cluster.local:8080',
      },
      statusCode: 200,
      latencyMs: 1,
    });
    expect(lines(metrics.expose(), 'request_total{')).toEqual([
      'request_total{direction="outbound",namespace="fledge-system",deployment="mesh-client",pod="mesh-client",dst_service="api-canary",dst_namespace="prod",authority="api.prod.svc.cluster.local:8080"} 1',
    ]);
  });

  it('escapes quotes and backslashes in label values', () => {
    const metrics = new ProxyMetrics();
    metrics.record({
      direction: 'outbound',
      workload: { namespace: 'a', deployment: 'say "hi"\\', pod: 'p' },
      statusCode: 200,
      latencyMs: 1,
    });
    expect(metrics.expose()).toContain('deployment="say \\"hi\\"\\\\"');
  });

  it("drops a forgotten pod's series only after the retention", () => {
    const metrics = new ProxyMetrics();
    metrics.record({ direction: 'inbound', workload: canary, statusCode: 200, latencyMs: 1 });
    metrics.record({
      direction: 'inbound',
      workload: { ...canary, pod: 'other' },
      statusCode: 200,
      latencyMs: 1,
    });
    metrics.forgetPod('prod', 'api-7d9-abc', 1000, 60_000);
    metrics.sweep(30_000);
    expect(metrics.seriesCount).toBe(2);
    metrics.sweep(61_000);
    expect(metrics.seriesCount).toBe(1);
    expect(metrics.expose()).not.toContain('api-7d9-abc');
  });
});
