import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { planFromSpec } from '../api/plan.js';
import { API_VERSION, KIND, type Rollout } from '../api/types.js';
import { ApiServer, type KubeObject } from '../kube/api-server.js';
import { EventRecorder } from '../kube/events.js';
import { defaultIdentity, LeaderElector } from '../kube/leader.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import { writeStatus } from '../kube/status.js';
import { createPrometheusProvider, type MetricsProvider } from '../metrics/prometheus.js';
import type { Decision } from './decisions.js';
import type { EffectContext } from './effects/context.js';
import { startHttpServer } from './http.js';
import { WorkQueue } from './queue.js';
import { reconcile } from './reconcile.js';
import { RolloutRunner } from './runner.js';
import { ControllerTelemetry } from './telemetry.js';
import { ControllerWatches } from './watches.js';
import { checkRouting, effectsFor, releaseRollout, routingFor } from './wiring.js';
import type { Caches } from './world.js';

export interface ControllerOptions {
  kc: KubeConfig;
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
  /** Periodic re-list and reconcile of every Rollout. */
  resyncMs: number;
  /** How often waits for readiness poll. */
  pollMs: number;
  /** HTTP proxy for webhooks (the playground's mesh proxy); undefined: none. */
  proxy: string | undefined;
  /** Reconciles of different Rollouts at once. */
  concurrency: number;
}

/**
 * `fledge controller`: watches Rollouts and what they read, and while it leads runs one
 * rollout machine per Rollout. Followers keep their caches warm, so a hand-over is quick.
 */
export class Controller {
  readonly registry = new Registry();
  private readonly telemetry = new ControllerTelemetry(this.registry);
  private readonly api: ApiServer;
  private readonly caches: Caches;
  private readonly watches: ControllerWatches;
  private readonly rolloutClient: ResourceClient<Rollout & KubeObject>;
  private readonly events: EventRecorder;
  private readonly metrics: MetricsProvider;
  private readonly clusterMetrics: Map<string, MetricsProvider>;
  private readonly runners = new Map<string, RolloutRunner>();
  private readonly contexts = new Map<string, EffectContext>();
  private readonly queue: WorkQueue;
  private elector: LeaderElector | undefined;
  private leading = false;
  private http: { url: string; close(): Promise<void> } | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  /** This process's name in the leader Lease and, as its User-Agent, in the audit log. */
  readonly identity = defaultIdentity();

  constructor(private readonly options: ControllerOptions) {
    this.api = new ApiServer(options.kc, `fledge-controller/${this.identity}`);
    this.watches = new ControllerWatches(this.api, options, {
      enqueue: (key) => this.enqueue(key),
      accepting: () => this.accepting(),
    });
    this.caches = this.watches.caches;
    this.rolloutClient = new ResourceClient(this.api, knownTypes.rollouts);
    this.events = new EventRecorder(this.api, { component: 'fledge', logger: options.log });
    this.metrics = createPrometheusProvider({
      address: options.prometheusUrl,
      registry: this.registry,
    });
    this.clusterMetrics = new Map(
      Object.entries(options.clusterPrometheus ?? {}).map(([cluster, address]) => [
        cluster,
        createPrometheusProvider({ address, registry: this.registry }),
      ]),
    );
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
        this.coreSynced()
          ? { ok: true, message: this.leading ? 'ready (leader)' : 'ready (follower)' }
          : { ok: false, message: 'watch caches are not synced yet' },
    });
    if (this.options.leaderElection.enabled) {
      this.elector = new LeaderElector(this.api, {
        namespace: this.options.leaderElection.namespace,
        name: this.options.leaderElection.name,
        identity: this.identity,
        leaseDurationMs: this.options.leaderElection.leaseDurationMs,
        logger: this.options.log,
        onStartedLeading: () => this.startLeading(),
        onStoppedLeading: () => void this.stopLeading(),
      });
      this.elector.start();
    } else {
      this.startLeading();
    }
  }

  async stop(): Promise<void> {
    await this.elector?.stop();
    await this.stopLeading();
    await this.queue.stop();
    await this.watches.stop();
    await this.http?.close();
    this.api.close();
  }

  private coreSynced(): boolean {
    return this.watches.synced;
  }

  private startLeading(): void {
    this.leading = true;
    this.telemetry.leader.set(1);
    this.options.log.info('leading: running the rollouts');
    const tick = () => {
      for (const rollout of this.caches.rollouts.list())
        this.enqueue(`${rollout.metadata.namespace}/${rollout.metadata.name}`);
    };
    const waitForSync = () => {
      if (!this.leading) return;
      if (this.coreSynced()) tick();
      else setTimeout(waitForSync, 100).unref();
    };
    waitForSync();
    this.resyncTimer = setInterval(tick, this.options.resyncMs);
    this.resyncTimer.unref();
  }

  private async stopLeading(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    this.telemetry.leader.set(0);
    clearInterval(this.resyncTimer);
    const runners = [...this.runners.values()];
    this.runners.clear();
    this.contexts.clear();
    await Promise.all(runners.map((runner) => runner.stop()));
    this.options.log.info('not leading: rollouts stopped here');
  }

  private accepting(): boolean {
    return this.leading && this.coreSynced();
  }

  private enqueue(key: string): void {
    if (this.accepting()) this.queue.add(key);
  }

  private async reconcileOne(key: string): Promise<void> {
    if (!this.leading) return;
    const started = process.hrtime.bigint();
    let result = 'ok';
    try {
      await reconcile(key, {
        caches: this.caches,
        rollouts: this.rolloutClient,
        runners: this.runners,
        log: this.options.log.child({ rollout: key }),
        createRunner: (rollout, revision) => this.createRunner(key, rollout, revision),
        recordEvent: (rollout, decision) => this.recordEvent(rollout, decision),
        writeStatus: (rollout, status) => this.writeStatus(rollout, status),
        release: (rollout, runner) =>
          releaseRollout(this.api, rollout, runner, this.contexts.get(key)),
        checkRouting: async (_rollout, runner) => {
          const ctx = this.contexts.get(key);
          if (ctx) await checkRouting(ctx, runner.canaryWeight);
        },
        forget: (rollout) => {
          this.contexts.delete(key);
          this.telemetry.forget(rollout.metadata.namespace ?? '', rollout.metadata.name ?? '');
        },
      });
    } catch (error) {
      result = 'error';
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.telemetry.reconcileDuration.observe({ result }, seconds);
    }
  }

  private createRunner(key: string, rollout: Rollout, revision: string): RolloutRunner {
    const log = this.options.log.child({ rollout: key });
    const ctxHolder: { runner?: RolloutRunner } = {};
    const latest = () => ctxHolder.runner?.latest ?? rollout;
    const ctx: EffectContext = {
      api: this.api,
      ...routingFor(this.api, latest),
      metrics: this.metrics,
      clusterMetrics: (cluster) => this.clusterMetrics.get(cluster),
      registry: this.registry,
      log,
      rollout: latest,
      phase: () => ctxHolder.runner?.phase ?? 'Initializing',
      revision: () => ctxHolder.runner?.revision ?? revision,
      report: (decision) => this.recordEvent(latest(), decision),
      condition: (update) => ctxHolder.runner?.setCondition(update),
      pollMs: this.options.pollMs,
      proxy: this.options.proxy,
    };
    this.contexts.set(key, ctx);
    const runner = new RolloutRunner(
      rollout,
      planFromSpec(rollout.spec),
      revision,
      () => effectsFor(ctx),
      {
        log,
        writeStatus: (r, status) => this.writeStatus(r, status),
        recordEvent: (r, decision) => this.recordEvent(r, decision),
        observe: (view) => this.telemetry.observe(view),
        finished: (r, outcome) =>
          this.telemetry.finished.inc({
            namespace: r.metadata.namespace ?? '',
            name: r.metadata.name ?? '',
            result: outcome,
          }),
        proxy: this.options.proxy,
      },
    );
    ctxHolder.runner = runner;
    return runner;
  }

  private recordEvent(rollout: Rollout, decision: Decision): void {
    void this.events.record(
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

  private async writeStatus(
    rollout: Rollout,
    status: NonNullable<Rollout['status']>,
  ): Promise<Rollout> {
    const result = await writeStatus(
      this.rolloutClient,
      rollout as Rollout & KubeObject,
      status as Record<string, unknown>,
    );
    return result.object;
  }
}
