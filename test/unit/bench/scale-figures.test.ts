import { describe, expect, it } from 'vitest';
import {
  bucketsBetween,
  bucketsByGroup,
  bucketsOf,
  countedBetween,
  formatTable,
  histogramQuantile,
  latenciesBetween,
  medianAndTail,
  quantile,
  requestsBetween,
  samplesEqualTo,
  serverRequestKind,
  sumOf,
} from '../../../bench/scale-figures.js';

const metrics = [
  '# TYPE fledge_kube_requests_total counter',
  'fledge_kube_requests_total{verb="get",resource="pods"} 3',
  'fledge_kube_requests_total{verb="patch",resource="rollouts"} 4',
  'fledge_kube_requests_total_other 100',
  'fledge_analysis_lateness_seconds_bucket{le="0.1"} 50',
  'fledge_analysis_lateness_seconds_bucket{le="1"} 90',
  'fledge_analysis_lateness_seconds_bucket{le="+Inf"} 100',
  'fledge_analysis_lateness_seconds_count 100',
].join('\n');

describe('reading /metrics', () => {
  it('sums a counter over its label sets, and only that counter', () => {
    expect(sumOf(metrics, 'fledge_kube_requests_total')).toBe(7);
  });

  it('counts the label sets whose sample has a value', () => {
    const phases = [
      'fledge_rollout_phase{namespace="a",name="x",phase="Initialized"} 1',
      'fledge_rollout_phase{namespace="a",name="x",phase="Failed"} 0',
      'fledge_rollout_phase{namespace="a",name="y",phase="Failed"} 1',
      'fledge_rollout_phase_other{namespace="a"} 1',
    ].join('\n');
    expect(samplesEqualTo(phases, 'fledge_rollout_phase', 1)).toBe(2);
  });

  it('reads cumulative buckets by bound', () => {
    expect(bucketsOf(metrics, 'fledge_analysis_lateness_seconds')).toEqual([
      [0.1, 50],
      [1, 90],
      [Number.POSITIVE_INFINITY, 100],
    ]);
  });

  it('subtracts an earlier histogram', () => {
    expect(
      bucketsBetween(
        [
          [1, 10],
          [Number.POSITIVE_INFINITY, 10],
        ],
        [
          [1, 30],
          [Number.POSITIVE_INFINITY, 40],
        ],
      ),
    ).toEqual([
      [1, 20],
      [Number.POSITIVE_INFINITY, 30],
    ]);
  });
});

describe('histogramQuantile', () => {
  const buckets = bucketsOf(metrics, 'fledge_analysis_lateness_seconds');
  it.each([
    { q: 0.5, value: 0.1 },
    { q: 0.25, value: 0.05 },
    { q: 0.7, value: 0.55 },
    // In +Inf: the highest finite bound, as Prometheus answers.
    { q: 0.99, value: 1 },
  ])('q $q is $value', ({ q, value }) => {
    expect(histogramQuantile(q, buckets)).toBeCloseTo(value, 10);
  });

  it('is undefined for an empty histogram', () => {
    expect(histogramQuantile(0.5, [[1, 0]])).toBeUndefined();
  });
});

describe('quantile', () => {
  it.each([
    { q: 0.5, value: 3 },
    { q: 0.99, value: 100 },
    { q: 0, value: 1 },
  ])('nearest rank q $q of 1,2,3,4,100 is $value', ({ q, value }) => {
    expect(quantile(q, [100, 2, 3, 1, 4])).toBe(value);
  });

  it('is undefined without samples', () => {
    expect(quantile(0.5, [])).toBeUndefined();
  });

  it('prints p50/p99 in whole units, and dashes without samples', () => {
    expect(medianAndTail([100.4, 2, 3.2, 1, 4])).toBe('3/100');
    expect(medianAndTail([])).toBe('-/-');
  });
});

describe('formatTable', () => {
  it('prints a header, a rule and one aligned row per run, with dashes for figures not measured', () => {
    const lines = formatTable([
      {
        rollouts: 100,
        mode: 'at rest',
        createSeconds: 12,
        rssIdleMiB: 150.4,
        rssPeakMiB: 160,
        cpuPercent: 1.25,
        apiPerRolloutInterval: 0,
        queriesPerInterval: 0,
        restartReadySeconds: 3.21,
        restoredSeconds: 5,
      },
    ]);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('| 100 ');
    expect(lines[2]).toContain('| 150 ');
    expect(lines[2]).toContain('- / -');
    expect(lines[2]).toContain('3.2 / 5.0');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('requestsBetween', () => {
  const metrics = (getDeployments: number, patchStatus: number) =>
    [
      '# HELP fledge_kube_requests_total Requests sent to the Kubernetes API server',
      `fledge_kube_requests_total{verb="get",resource="deployments"} ${getDeployments}`,
      `fledge_kube_requests_total{verb="patch",resource="rollouts/status"} ${patchStatus}`,
      'fledge_kube_requests_total_created{verb="get",resource="deployments"} 1700000000',
    ].join('\n');

  it('lists the requests made between two scrapes, most first, leaving out the unchanged', () => {
    expect(requestsBetween(metrics(3, 10), metrics(5, 40))).toBe(
      'patch rollouts/status 30, get deployments 2',
    );
    expect(requestsBetween(metrics(3, 10), metrics(3, 10))).toBe('none');
    expect(requestsBetween('', metrics(1, 0))).toBe('get deployments 1');
  });

  it('reads any counter by its label values, and not a longer name that starts the same', () => {
    const restarts = (relists: number) =>
      [
        `fledge_watch_restarts_total{watch="services.core/v1",reason="relist"} ${relists}`,
        'fledge_watch_restarts_total{watch="rollouts.fledge.dev/v1alpha1",reason="idle"} 1',
        'fledge_watch_restarts_total_created{watch="services.core/v1",reason="relist"} 1700000000',
      ].join('\n');
    expect(countedBetween('', restarts(2), 'fledge_watch_restarts_total')).toBe(
      'services.core/v1 relist 2, rollouts.fledge.dev/v1alpha1 idle 1',
    );
    expect(countedBetween(restarts(2), restarts(3), 'fledge_watch_restarts_total')).toBe(
      'services.core/v1 relist 1',
    );
    expect(countedBetween('', metrics(1, 0), 'fledge_watch_restarts_total')).toBe('none');
  });
});

describe('request latencies per verb and resource', () => {
  const server = (patch: number, get: number) =>
    [
      `apiserver_request_duration_seconds_bucket{component="apiserver",group="fledge.dev",resource="rollouts",scope="resource",subresource="status",verb="PATCH",version="v1alpha1",le="0.1"} ${patch}`,
      `apiserver_request_duration_seconds_bucket{component="apiserver",group="fledge.dev",resource="rollouts",scope="resource",subresource="status",verb="PATCH",version="v1alpha1",le="+Inf"} ${patch}`,
      `apiserver_request_duration_seconds_bucket{component="apiserver",group="apps",resource="deployments",scope="resource",subresource="",verb="GET",version="v1",le="0.1"} 0`,
      `apiserver_request_duration_seconds_bucket{component="apiserver",group="apps",resource="deployments",scope="resource",subresource="",verb="GET",version="v1",le="+Inf"} ${get}`,
      'apiserver_request_duration_seconds_bucket{component="apiserver",group="apps",resource="deployments",scope="cluster",subresource="",verb="WATCH",version="v1",le="+Inf"} 9',
    ].join('\n');

  it("names the API server's requests as the controller does, leaving watches out", () => {
    const groups = bucketsByGroup(
      server(4, 2),
      'apiserver_request_duration_seconds',
      serverRequestKind,
    );
    expect([...groups.keys()]).toEqual(['patch rollouts/status', 'get deployments']);
    expect(groups.get('get deployments')).toEqual([
      [0.1, 0],
      [Number.POSITIVE_INFINITY, 2],
    ]);
  });

  it('gives count and quantiles of what happened between two scrapes, most requests first', () => {
    const name = 'apiserver_request_duration_seconds';
    const lines = latenciesBetween(
      bucketsByGroup(server(4, 2), name, serverRequestKind),
      bucketsByGroup(server(4, 12), name, serverRequestKind),
    );
    expect(lines).toEqual([{ kind: 'get deployments', count: 10, p50: 0.1, p99: 0.1 }]);
  });
});
