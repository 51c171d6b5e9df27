import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { AlertDispatcher } from '../alerts/dispatcher.js';
import { API_VERSION, KIND, type Rollout } from '../api/types.js';
import { startClusterDashboard } from '../dashboard/in-cluster.js';
import type { Dashboard } from '../dashboard/server.js';
import { ApiServer, type ClusterAccess } from '../kube/api-server.js';
import { defaultIdentity, type LeaderTerm, NotLeadingError } from '../kube/leader.js';
import { leaseTimings } from '../kube/lease-record.js';
import { Turns } from '../kube/turns.js';
import { MetricTemplates } from '../metrics/metric-templates.js';
import { createPrometheusProvider, type MetricsProvider } from '../metrics/prometheus.js';
import { coalesceQueries } from '../metrics/query-coalescer.js';
import type { WebhookAuth } from '../webhooks/auth.js';
import type { WebhookDelivery } from '../webhooks/call.js';
import type { Decision } from './decisions.js';
import { startHttpServer } from './http.js';
import { WorkQueue } from './queue.js';
import { reconcile } from './reconcile.js';
import { releaseRollout } from './release.js';
import { ReleasePass } from './release-pass.js';
import { planWithQueue, type ReleaseLimits, slotCounts } from './release-queue.js';
import { resyncKeys } from './resync.js';
import { RolloutRunner, type RunnerView } from './runner.js';
import { ShardLeases } from './shard-leases.js';
import { ShardSlot } from './shard-slot.js';
import { shardOf } from './shards.js';
import { SlotLedger } from './slot-ledger.js';
import { StatusWriter, type StoredRollout } from './status-writer.js';
import { ControllerTelemetry } from './telemetry.js';
import { Validations } from './validations.js';
import { ControllerWatches, type WatchRestart } from './watches.js';
import { correctDrift, effectsFor, routingFor } from './wiring.js';
import { type Caches, servicesInSync } from './world.js';

/**
 * Initializations writing at once. Each writes about eight objects in turn, so 64 keep the
 * API client's 32 sockets busy; 10,000 at once held ~80 KiB of requests and promises each.
 */
const INITIALIZING_AT_ONCE = 64;

export interface ControllerOptions {
  kc: ClusterAccess;
  log: Logger;
  /** Watch these namespaces only; all when empty. */
  namespaces: string[];
  prometheusUrl: string;
  /**
   * Prometheus of linked clusters, by Link name: a backend-mode canary in such a cluster is
   * measured there, inbound at its pods, instead of by its callers here.
   */
  clusterPrometheus?: Record<string, string>;
  /** Where /healthz, /readyz and /metrics listen. */
  httpHost: string;
  httpPort: number;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    name: string;
    leaseDurationMs: number;
  };
  /**
   * Rollouts are spread over this many shards, one Lease each (--shards); a replica drives
   * the shards it holds. One (the default): the leader drives every Rollout.
   */
  shards?: number;
  /** Periodic re-list and reconcile of every Rollout. */
  resyncMs: number;
  /** How often waits for readiness poll. */
  pollMs: number;
  /** HTTP proxy for webhooks (the playground's mesh proxy); undefined: none. */
  proxy: string | undefined;
  /** The loadtester's shared token and its origins; undefined: none is sent. */
  webhookAuth?: WebhookAuth;
  /** Serve the dashboard in the cluster (RBAC-checked) at this address; undefined: off. */
  dashboard?: { host: string; port: number };
  /** Reconciles of different Rollouts at once. */
  concurrency: number;
  /** Caps on releases in analysis at once (--max-releases, --max-releases-per-namespace). */
  releaseLimits?: ReleaseLimits;
}

/**
 * `fledge controller`: watches Rollouts and what they read, and while it leads runs one
 * rollout machine per Rollout. Followers keep their caches warm, so a hand-over is quick.
 */
export class Controller {
  readonly registry = new Registry();
  /** This process's name in the leader Lease and, as its User-Agent, in the audit log. */
  readonly identity = defaultIdentity();
  /** Turns the writes of initializations take, over all shards this replica holds. */
  private readonly initializations = new Turns(INITIALIZING_AT_ONCE);
  private readonly telemetry = new ControllerTelemetry(this.registry, this.initializations, () =>
    slotCounts(this.releasePass.entries()),
  );
  /** Reads for the watches and the Lease: a follower needs them too. */
  private readonly watchApi: ApiServer;
  /**
   * Everything done for the Rollouts of one shard, refused the moment this replica's term of
   * that shard ends. One slot without sharding: the leader's.
   */
  private readonly slots: ShardSlot[];
  private readonly caches: Caches;
  private readonly watches: ControllerWatches;
  private readonly alerts: AlertDispatcher;
  private readonly metrics: MetricsProvider;
  private readonly clusterMetrics: Map<string, MetricsProvider>;
  private readonly templates: MetricTemplates;
  private readonly runners = new Map<string, RolloutRunner>();
  /** Settled machines let go in this term (reconcile.ts). */
  private readonly released = new Set<string>();
  private readonly writers = new Map<string, StatusWriter>();
  private readonly validations = new Validations();
  private readonly queue: WorkQueue;
  private leases: ShardLeases | undefined;
  private readonly webhooks: WebhookDelivery;
  private http: { url: string; close(): Promise<void> } | undefined;
  private dashboard: Dashboard | undefined;
  private readonly resyncTimers = new Map<number, NodeJS.Timeout>();
  private readonly releasePass: ReleasePass;

  constructor(private readonly options: ControllerOptions) {
    const userAgent = `fledge-controller/${this.identity}`;
    this.webhooks = {
      proxy: options.proxy ?? '',
      ...(options.webhookAuth ? { auth: options.webhookAuth } : {}),
    };
    const counted = this.telemetry.requestObserver;
    this.watchApi = new ApiServer(options.kc, userAgent, counted);
    // A write begins only with time left in the term for it: at most a second, and never
    // more than a retry period, which is how late a renewal may come.
    const { retryPeriodMs } = leaseTimings({
      leaseDurationMs: options.leaderElection.leaseDurationMs,
    });
    const shards = options.leaderElection.enabled ? Math.max(1, options.shards ?? 1) : 1;
    this.slots = Array.from(
      { length: shards },
      (_, shard) =>
        new ShardSlot(shard, {
          kc: options.kc,
          userAgent,
          identity: this.identity,
          marginMs: options.leaderElection.enabled ? Math.min(1000, retryPeriodMs) : 0,
          sharded: shards > 1,
          observer: counted,
          log: options.log,
        }),
    );
    // Reads of templates and alert providers serve every shard: with one, the leader's fenced
    // client as before; with several, the unfenced one (a read needs no term).
    const readApi = shards > 1 ? this.watchApi : (this.slots[0] as ShardSlot).api;
    const restarted = (watch: string, reason: WatchRestart) =>
      this.telemetry.watchRestarts.inc({ watch, reason });
    this.watches = new ControllerWatches(
      this.watchApi,
      {
        ...options,
        restarted,
        written: (namespace, name) => this.writers.get(`${namespace}/${name}`)?.current,
      },
      {
        enqueue: (key) => this.enqueue(key),
        accepting: () => this.accepting(),
      },
    );
    this.caches = this.watches.caches;
    const queueLog = options.log.child({ component: 'release-queue' });
    this.releasePass = new ReleasePass({
      runners: this.runners,
      rollouts: () => this.caches.rollouts.list(),
      leading: () => this.slots.some((slot) => slot.fence.leading),
      limits: this.releaseLimits,
      log: queueLog,
      // With several shards, replicas grant release slots through one Lease.
      ...(shards > 1
        ? {
            ledger: new SlotLedger({
              api: this.watchApi,
              namespace: options.leaderElection.namespace,
              name: `${options.leaderElection.name}-release-grants`,
              log: queueLog,
            }),
          }
        : {}),
    });
    this.alerts = new AlertDispatcher({
      api: readApi,
      log: options.log.child({ component: 'alerts' }),
      registry: this.registry,
      recordEvent: (rollout, decision) => this.recordEvent(rollout, decision),
    });
    // The built-in metrics of rollouts due together go to Prometheus as one grouped query.
    this.metrics = coalesceQueries(
      createPrometheusProvider({ address: options.prometheusUrl, registry: this.registry }),
    );
    this.clusterMetrics = new Map(
      Object.entries(options.clusterPrometheus ?? {}).map(([cluster, address]) => [
        cluster,
        createPrometheusProvider({ address, registry: this.registry }),
      ]),
    );
    this.templates = new MetricTemplates({
      api: readApi,
      registry: this.registry,
      prometheusUrl: options.prometheusUrl,
      ...(options.proxy ? { proxy: options.proxy } : {}),
    });
    this.queue = new WorkQueue((key) => this.reconcileOne(key), {
      concurrency: options.concurrency,
      baseBackoffMs: 500,
      maxBackoffMs: 30_000,
      onError: (key, error) =>
        options.log.warn({ rollout: key, err: error }, 'reconcile failed; retrying'),
    });
  }

  get url(): string | undefined {
    return this.http?.url;
  }

  async start(): Promise<void> {
    this.watches.start();
    this.http = await startHttpServer(this.options.httpHost, this.options.httpPort, this.registry, {
      healthy: () => ({ ok: true, message: 'ok' }),
      ready: () =>
        this.watches.synced
          ? { ok: true, message: this.readiness() }
          : { ok: false, message: 'watch caches are not synced yet' },
    });
    if (this.options.dashboard) {
      this.dashboard = await startClusterDashboard({
        kc: this.options.kc,
        ...this.options.dashboard,
        namespaces: this.options.namespaces,
        log: this.options.log.child({ component: 'dashboard' }),
        registry: this.registry,
      });
    }
    if (this.options.leaderElection.enabled) {
      this.leases = new ShardLeases({
        api: this.watchApi,
        namespace: this.options.leaderElection.namespace,
        name: this.options.leaderElection.name,
        shards: this.slots.length,
        identity: this.identity,
        leaseDurationMs: this.options.leaderElection.leaseDurationMs,
        logger: this.options.log,
        onStartedLeading: (shard, term) => this.startLeading(shard, term),
        onStoppedLeading: (shard) => void this.stopLeading(shard),
        handingOver: (shard) => this.handOver(shard),
      });
      this.leases.start();
    } else {
      this.startLeading(0, undefined);
    }
  }

  /**
   * Shutdown in the order that keeps one driver per Rollout: no new work, the runners
   * stopped while this replica still leads (their effects settle, their last status is
   * written), and only then the Leases handed back.
   */
  async stop(): Promise<void> {
    for (const timer of this.resyncTimers.values()) clearInterval(timer);
    this.resyncTimers.clear();
    await this.queue.stop();
    await this.stopRunners(() => true);
    for (const slot of this.slots) this.endTerm(slot);
    await this.leases?.stop();
    await this.watches.stop();
    await this.dashboard?.close();
    await this.templates.close();
    await this.http?.close();
    for (const slot of this.slots) slot.api.close();
    this.watchApi.close();
  }

  private readiness(): string {
    if (this.slots.length === 1) {
      return this.slots[0]?.fence.leading ? 'ready (leader)' : 'ready (follower)';
    }
    const held = this.slots.filter((slot) => slot.fence.leading).length;
    return `ready (${held} of ${this.slots.length} shards)`;
  }

  private shardSlot(key: string): ShardSlot {
    return this.slots[shardOf(key, this.slots.length)] as ShardSlot;
  }

  /** A term of a shard began: its Rollouts are restored from their status and driven here. */
  private startLeading(shard: number, term: LeaderTerm | undefined): void {
    const slot = this.slots[shard] as ShardSlot;
    slot.draining = false;
    slot.fence.begin(term);
    this.heldChanged();
    this.options.log.info(
      { identity: this.identity, term: term?.number, ...this.shardField(shard) },
      'leading: running the rollouts',
    );
    let round = 0;
    const tick = () => {
      const mine = this.caches.rollouts
        .list()
        .map((rollout) => ({
          key: `${rollout.metadata.namespace}/${rollout.metadata.name}`,
          rollout,
        }))
        .filter(({ key }) => this.shardSlot(key) === slot);
      const world = {
        released: this.released,
        routingWatched: (routing: Rollout['spec']['routing'] | undefined) =>
          this.watches.routingWatched(routing),
        autoscalersWatched: this.watches.autoscalerCache() !== undefined,
      };
      for (const key of resyncKeys(round++, mine, world)) this.enqueue(key);
    };
    const waitForSync = () => {
      if (!slot.driving) return;
      if (this.watches.synced) tick();
      else setTimeout(waitForSync, 100).unref();
    };
    waitForSync();
    clearInterval(this.resyncTimers.get(shard));
    const timer = setInterval(tick, this.options.resyncMs);
    timer.unref();
    this.resyncTimers.set(shard, timer);
  }

  /**
   * A term ended (the elector has already ended it, so the fence no longer says leading):
   * writes are refused at once, then the shard's runners and status writers stop, so none
   * of them acts again should this replica hold the shard anew.
   */
  private async stopLeading(shard: number): Promise<void> {
    const slot = this.slots[shard] as ShardSlot;
    this.endTerm(slot);
    clearInterval(this.resyncTimers.get(shard));
    this.resyncTimers.delete(shard);
    await this.stopRunners((key) => this.shardSlot(key) === slot);
    this.options.log.info(this.shardField(shard), 'not leading: rollouts stopped here');
  }

  /**
   * Before the shard's Lease is released: no new work for its Rollouts, the reconciles under
   * way ended, and their runners stopped (effects settled, last status written), all while the
   * term still fences their writes.
   */
  private async handOver(shard: number): Promise<void> {
    const slot = this.slots[shard] as ShardSlot;
    slot.draining = true;
    await slot.reconciled();
    await this.stopRunners((key) => this.shardSlot(key) === slot);
  }

  private shardField(shard: number): { shard?: number } {
    return this.slots.length > 1 ? { shard } : {};
  }

  private endTerm(slot: ShardSlot): void {
    slot.fence.end();
    this.heldChanged();
  }

  private heldChanged(): void {
    const held = this.slots.filter((slot) => slot.fence.leading).length;
    this.telemetry.leader.set(held > 0 ? 1 : 0);
    this.telemetry.shardsHeld.set(held);
  }

  private async stopRunners(of: (key: string) => boolean): Promise<void> {
    const runners = [...this.runners].filter(([key]) => of(key));
    const writers = [...this.writers].filter(([key]) => of(key));
    for (const [key] of runners) this.runners.delete(key);
    for (const [key] of writers) this.writers.delete(key);
    for (const key of [...this.released].filter(of)) this.released.delete(key);
    await Promise.all(runners.map(([, runner]) => runner.stop()));
    await Promise.all(writers.map(([, writer]) => writer.stop()));
  }

  private accepting(): boolean {
    return this.watches.synced && this.slots.some((slot) => slot.driving);
  }

  private enqueue(key: string): void {
    if (!this.watches.synced) return;
    if (this.shardSlot(key).driving) this.queue.add(key);
    // Another replica's Rollout may have ended its release: a slot for one waiting here.
    else if (this.slots.length > 1) this.releasePass.schedule();
  }

  private async reconcileOne(key: string): Promise<void> {
    const slot = this.shardSlot(key);
    if (!slot.driving) return;
    const started = process.hrtime.bigint();
    let result = 'ok';
    const log = this.options.log.child({ rollout: key, ...this.shardField(slot.shard) });
    try {
      await slot.track(
        reconcile(key, {
          caches: this.caches,
          rollouts: slot.rollouts,
          runners: this.runners,
          released: this.released,
          fence: slot.fence,
          log,
          createRunner: (rollout, revision, resumed) =>
            this.createRunner(key, rollout, revision, log, resumed),
          validate: (rollout) => this.validations.validate(key, rollout),
          plan: (rollout) => planWithQueue(rollout.spec, this.releaseLimits),
          status: (rollout) => this.statusWriter(key, rollout, log),
          recordEvent: (rollout, decision) => this.recordEvent(rollout, decision),
          release: (rollout) =>
            releaseRollout(slot.api, rollout, {
              log,
              pollMs: this.options.pollMs,
              readiness: this.watches.readiness,
              readyTimeoutMs: (rollout.spec?.progressDeadlineSeconds ?? 600) * 1000,
            }),
          checkRouting: (_rollout, runner) =>
            runner.correctRouting((traffic) => correctDrift(runner.context, traffic)),
          // Settled means its status is written: the writer has nothing left to do.
          letGo: (settled) => {
            this.dropWriter(settled);
            this.validations.forget(settled);
          },
          forget: (forgotten) => {
            this.dropWriter(forgotten);
            this.validations.forget(forgotten);
            const [namespace = '', name = ''] = forgotten.split('/');
            this.telemetry.forget(namespace, name);
          },
        }),
      );
    } catch (error) {
      if (error instanceof NotLeadingError) return;
      result = 'error';
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.telemetry.reconcileDuration.observe({ result }, seconds);
      this.releasePass.schedule();
    }
  }

  private get releaseLimits(): ReleaseLimits {
    return this.options.releaseLimits ?? {};
  }

  /** The one status writer of a Rollout, made on first use and kept while it lives. */
  private dropWriter(key: string): void {
    void this.writers.get(key)?.stop();
    this.writers.delete(key);
  }

  private statusWriter(key: string, rollout: StoredRollout, log: Logger): StatusWriter {
    let writer = this.writers.get(key);
    if (!writer) {
      const slot = this.shardSlot(key);
      // A writer lives in one term: one made after the term ended would outlive it, and one
      // made while the shard is handed over would outlive the hand-over.
      slot.fence.requireTerm();
      if (slot.draining) throw handingOver(slot);
      const { namespace = '', name = '' } = rollout.metadata ?? {};
      writer = new StatusWriter(rollout, {
        client: slot.rollouts,
        fence: slot.fence,
        log,
        cached: () => this.caches.rollouts.get(namespace, name),
        refused: (refusal) => {
          if (refusal.kind === 'superseded') {
            log.warn(
              { by: refusal.by },
              'a replica in a newer term wrote this rollout: stopping here',
            );
            void this.runners.get(key)?.stop();
            this.runners.delete(key);
            this.writers.delete(key);
            return;
          }
          log.error({ refusal }, 'the API server refused a status write');
          this.telemetry.statusRefused.inc();
          this.recordEvent(rollout, {
            type: 'Warning',
            reason: 'StatusRejected',
            message: `status write refused with ${refusal.statusCode}: ${refusal.message.slice(0, 300)}`,
          });
        },
      });
      this.writers.set(key, writer);
    }
    return writer;
  }

  private createRunner(
    key: string,
    rollout: Rollout,
    revision: string,
    log: Logger,
    resumed: boolean,
  ): RolloutRunner {
    const slot = this.shardSlot(key);
    if (slot.draining) throw handingOver(slot);
    return new RolloutRunner(rollout, planWithQueue(rollout.spec, this.releaseLimits), revision, {
      log,
      resumed,
      moved: () => this.releasePass.schedule(),
      analysisStarted: (lateness) => this.telemetry.analysisLateness.observe(lateness),
      effectStarted: (effect, waited) =>
        this.telemetry.effectStartDelay.observe({ effect }, waited),
      status: this.statusWriter(key, rollout as StoredRollout, log),
      effectContext: (view: RunnerView) => ({
        ...view,
        api: slot.api,
        ...routingFor(slot.api, view.rollout, (type) => this.watches.routeCache(type)),
        metrics: this.metrics,
        clusterMetrics: (cluster) => this.clusterMetrics.get(cluster),
        templates: this.templates,
        registry: this.registry,
        log,
        pollMs: this.options.pollMs,
        readiness: this.watches.readiness,
        deployments: this.caches.deployments,
        servicesInSync: () => servicesInSync(view.rollout(), this.caches),
        autoscalerCache: () => this.watches.autoscalerCache(),
        initializations: this.initializations,
        webhooks: this.webhooks,
      }),
      effects: effectsFor,
      recordEvent: (r, decision) => this.recordEvent(r, decision),
      alert: (r, notice) => this.alerts.alert(r, notice),
      observe: (view) => this.telemetry.observe(view),
      finished: (r, outcome) =>
        this.telemetry.finished.inc({
          namespace: r.metadata.namespace ?? '',
          name: r.metadata.name ?? '',
          result: outcome,
        }),
      webhooks: this.webhooks,
    });
  }

  private recordEvent(rollout: Rollout, decision: Decision): void {
    const key = `${rollout.metadata.namespace ?? 'default'}/${rollout.metadata.name ?? ''}`;
    void this.shardSlot(key).events.record(
      {
        apiVersion: API_VERSION,
        kind: KIND,
        namespace: rollout.metadata.namespace ?? 'default',
        name: rollout.metadata.name ?? '',
        uid: rollout.metadata.uid ?? '',
      },
      decision.type,
      decision.reason,
      decision.message,
    );
  }
}

/** Work refused for a Rollout whose shard this replica is letting go of. */
function handingOver(slot: ShardSlot): NotLeadingError {
  return new NotLeadingError(
    '-',
    slot.fence.identity,
    undefined,
    `shard ${slot.shard} is being handed over to another replica`,
  );
}
