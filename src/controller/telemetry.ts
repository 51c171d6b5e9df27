import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { RequestObserver } from '../kube/api-server.js';
import { requestKind } from '../kube/request-kind.js';
import type { Turns } from '../kube/turns.js';

export interface RolloutMetricsView {
  namespace: string;
  name: string;
  phase: string;
  canaryWeight: number;
  failedChecks: number;
  lastAnalysis: Array<{ metric: string; value: number | null }>;
}

const requestBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The controller's own Prometheus metrics (contract §5). */
export class ControllerTelemetry {
  readonly phase: Gauge<'namespace' | 'name' | 'phase'>;
  readonly weight: Gauge<'namespace' | 'name'>;
  readonly failedChecks: Gauge<'namespace' | 'name'>;
  readonly metricValue: Gauge<'namespace' | 'name' | 'metric'>;
  readonly finished: Counter<'namespace' | 'name' | 'result'>;
  readonly reconcileDuration: Histogram<'result'>;
  readonly leader: Gauge;
  readonly shardsHeld: Gauge;
  readonly statusRefused: Counter;
  readonly releaseSlots: Gauge<'state'>;
  readonly kubeRequests: Counter<'verb' | 'resource'>;
  readonly watchRestarts: Counter<'watch' | 'reason'>;
  readonly kubeRequestDuration: Histogram<'verb' | 'resource' | 'lane'>;
  readonly kubeRequestSocketWait: Histogram<'verb' | 'resource' | 'lane'>;
  readonly analysisLateness: Histogram;
  readonly effectStartDelay: Histogram<'effect'>;
  readonly initializations: Gauge<'state'>;
  /** The metric names observed per rollout, so that forgetting one removes all its series. */
  private readonly metricsOf = new Map<string, Set<string>>();
  /** The phase each rollout's one phase series is for. */
  private readonly phaseOf = new Map<string, string>();

  /**
   * @param turns the turns initializations take, read at each scrape.
   * @param releaseQueue the release queue's slots held and waited for, read at each scrape.
   */
  constructor(
    registry: Registry,
    turns?: Pick<Turns, 'holding' | 'waiting'>,
    releaseQueue?: () => { holding: number; waiting: number },
  ) {
    const registers = [registry];
    // Node's own: heap, GC, and the event loop's delay (nodejs_eventloop_lag_p99_seconds is
    // over the time since the last scrape), which tells a slow loop from a slow API server.
    collectDefaultMetrics({ register: registry });
    this.phase = new Gauge({
      name: 'fledge_rollout_phase',
      help: 'The phase of each rollout: one series at 1, labelled with its current phase',
      labelNames: ['namespace', 'name', 'phase'],
      registers,
    });
    this.weight = new Gauge({
      name: 'fledge_rollout_canary_weight',
      help: 'Percent of traffic routed to the canary',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.failedChecks = new Gauge({
      name: 'fledge_rollout_failed_checks',
      help: 'Failed checks of the current revision',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.metricValue = new Gauge({
      name: 'fledge_rollout_metric_value',
      help: 'Last value of each analysis metric (absent when it had no data)',
      labelNames: ['namespace', 'name', 'metric'],
      registers,
    });
    this.finished = new Counter({
      name: 'fledge_rollouts_finished_total',
      help: 'Rollouts that ended, by result (succeeded, failed)',
      labelNames: ['namespace', 'name', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'fledge_reconcile_duration_seconds',
      help: 'Time spent in one reconcile of one rollout',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.leader = new Gauge({
      name: 'fledge_leader',
      help: '1 while this replica holds the leader Lease (with --shards: any shard Lease)',
      registers,
    });
    this.shardsHeld = new Gauge({
      name: 'fledge_shards_held',
      help: 'Shards whose Lease this replica holds (with one shard: 1 while it leads)',
      registers,
    });
    this.statusRefused = new Counter({
      name: 'fledge_status_writes_refused_total',
      help: 'Status writes the API server refused for good (4xx other than 409 and 429)',
      registers,
    });
    this.initializations = new Gauge({
      name: 'fledge_initializations',
      help: 'Initializations writing their primary, Services and route (state="writing") and waiting for a turn to (state="waiting")',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'writing' }, turns?.holding ?? 0);
        this.set({ state: 'waiting' }, turns?.waiting ?? 0);
      },
    });
    this.releaseSlots = new Gauge({
      name: 'fledge_release_queue',
      help: 'Releases holding a slot (state="holding") and waiting for one (state="waiting")',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = releaseQueue?.() ?? { holding: 0, waiting: 0 };
        this.set({ state: 'holding' }, counts.holding);
        this.set({ state: 'waiting' }, counts.waiting);
      },
    });
    this.kubeRequests = new Counter({
      name: 'fledge_kube_requests_total',
      help: 'Requests sent to the Kubernetes API server, by verb and resource (as its audit log names them)',
      labelNames: ['verb', 'resource'],
      registers,
    });
    this.watchRestarts = new Counter({
      name: 'fledge_watch_restarts_total',
      help: 'Watches opened again after their first list, by watch (resource.group/version) and reason: reconnect (the watch failed), idle (nothing arrived for the watchdog time), relist (410 Gone: listed again). A watch the server ends on time is not counted',
      labelNames: ['watch', 'reason'],
      registers,
    });
    // client-go's rest_client_request_duration_seconds, with the wait for a pooled socket in it.
    this.kubeRequestDuration = new Histogram({
      name: 'fledge_kube_request_duration_seconds',
      help: 'Requests to the Kubernetes API server (watches left out), from the call to the last byte of the answer, waiting for a pooled connection included, by verb, resource and lane (urgent: a rollback)',
      labelNames: ['verb', 'resource', 'lane'],
      buckets: requestBuckets,
      registers,
    });
    this.kubeRequestSocketWait = new Histogram({
      name: 'fledge_kube_request_socket_wait_seconds',
      help: "Part of fledge_kube_request_duration_seconds spent before the request had a connection (waiting for one of the client pool's sockets, or dialling)",
      labelNames: ['verb', 'resource', 'lane'],
      buckets: requestBuckets,
      registers,
    });
    this.effectStartDelay = new Histogram({
      name: 'fledge_effect_start_delay_seconds',
      help: 'From the machine invoking an effect to its start, after the effects before it and (but for the analysis and the rollback) the status that decided it were written, by effect',
      labelNames: ['effect'],
      buckets: requestBuckets,
      registers,
    });
    this.analysisLateness = new Histogram({
      name: 'fledge_analysis_lateness_seconds',
      help: 'From the time a rollout was due for analysis to the start of that analysis',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  /** Counts every request to the API server and times those that are not watches. */
  readonly requestObserver: RequestObserver = (method, path, watch, urgent) => {
    const kind = requestKind(method, path, watch);
    this.kubeRequests.inc({ ...kind });
    if (watch) return undefined;
    const timed = { ...kind, lane: urgent ? 'urgent' : 'routine' };
    const started = performance.now();
    let connectedAt: number | undefined;
    return {
      connected: () => {
        connectedAt ??= performance.now();
      },
      ended: () => {
        const now = performance.now();
        this.kubeRequestSocketWait.observe(timed, ((connectedAt ?? now) - started) / 1000);
        this.kubeRequestDuration.observe(timed, (now - started) / 1000);
      },
    };
  };

  observe(view: RolloutMetricsView): void {
    const id = { namespace: view.namespace, name: view.name };
    const key = `${view.namespace}/${view.name}`;
    // One series per Rollout, for its phase: a 0 for each other phase made ten series a
    // Rollout (100,000 at 10,000 Rollouts, 9 MB each scrape).
    const before = this.phaseOf.get(key);
    if (before !== view.phase) {
      if (before !== undefined) this.phase.remove({ ...id, phase: before });
      this.phase.set({ ...id, phase: view.phase }, 1);
      this.phaseOf.set(key, view.phase);
    }
    this.weight.set(id, view.canaryWeight);
    this.failedChecks.set(id, view.failedChecks);
    const known = this.metricsOf.get(key) ?? new Set<string>();
    this.metricsOf.set(key, known);
    for (const result of view.lastAnalysis) {
      known.add(result.metric);
      const labels = { ...id, metric: result.metric };
      if (result.value === null || !Number.isFinite(result.value)) this.metricValue.remove(labels);
      else this.metricValue.set(labels, result.value);
    }
  }

  forget(namespace: string, name: string): void {
    const id = { namespace, name };
    const key = `${namespace}/${name}`;
    const phase = this.phaseOf.get(key);
    if (phase !== undefined) this.phase.remove({ ...id, phase });
    this.weight.remove(id);
    this.failedChecks.remove(id);
    for (const metric of this.metricsOf.get(key) ?? []) this.metricValue.remove({ ...id, metric });
    for (const result of ['succeeded', 'failed']) this.finished.remove({ ...id, result });
    this.metricsOf.delete(key);
    this.phaseOf.delete(key);
  }
}
