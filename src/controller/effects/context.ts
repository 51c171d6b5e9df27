import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Traffic } from '../../../machines/weights.js';
import type { ConditionUpdate } from '../../api/conditions.js';
import type { Rollout } from '../../api/types.js';
import type { ApiServer, KubeObject } from '../../kube/api-server.js';
import type { Turns } from '../../kube/turns.js';
import type { MetricTemplates } from '../../metrics/metric-templates.js';
import type { MetricsProvider } from '../../metrics/prometheus.js';
import type { Router, RouteTarget } from '../../routing/router.js';
import type { WebhookDelivery } from '../../webhooks/call.js';
import type { Decision } from '../decisions.js';
import type {
  DeploymentWaiter,
  ReadinessSubject,
  ReadinessWait,
} from '../deployment-readiness-watch.js';
import type { Cache } from '../watch-set.js';
import type { WatchedAutoscaler } from '../workload/watched-autoscaler.js';
import type { WatchedDeployment } from '../world.js';

/**
 * What the effects of one rollout work with. `rollout()` is the latest validated Rollout, so
 * webhooks and metrics always follow the spec as it is now; `phase()` is the machine's phase,
 * for webhook payloads.
 */
export interface EffectContext {
  api: ApiServer;
  /** The router and target of the spec as it is now (spec.routing may change). */
  router(): Router;
  route(): RouteTarget;
  metrics: MetricsProvider;
  /** The Prometheus of a linked cluster, when the controller was given one. */
  clusterMetrics(cluster: string): MetricsProvider | undefined;
  /** Reads the MetricTemplates that metrics name, and their providers. */
  templates: Pick<MetricTemplates, 'resolve'>;
  registry: Registry;
  log: Logger;
  rollout(): Rollout;
  phase(): string;
  revision(): string;
  /** Where the machine's analysis stands, for webhook payloads. */
  progress(): Progress;
  report(decision: Decision): void;
  /**
   * Resolves once the status that decided the running effect is written, and throws when it
   * was given up: for the writes of an effect that starts ahead of its status (the rollback's,
   * after its route write).
   */
  decisionRecorded(): Promise<void>;
  /** Sets a status condition the effects own (BackendUnavailable). */
  condition(update: ConditionUpdate): void;
  /** How often a wait for readiness polls the API server (without `readiness`). */
  pollMs: number;
  /** Waits for a Deployment's readiness on watch events; without it, a wait polls. */
  readiness?: DeploymentWaiter;
  /**
   * The Deployment watch's copies (replicas and readiness, no pod template), read instead of
   * a GET where they are enough; without it, the API server is asked.
   */
  deployments?: { get(namespace: string, name: string): WatchedDeployment | undefined };
  /**
   * The HorizontalPodAutoscaler watch's cache, once it has listed: the target's autoscaler and
   * the primary's copy are read from it; undefined (or absent), they are read from the API.
   */
  autoscalerCache?(): Cache<WatchedAutoscaler> | undefined;
  /**
   * Whether the watch caches show the Rollout's three Services as it wants them (undefined:
   * they cannot tell, so the Services are read).
   */
  servicesInSync?(): boolean | undefined;
  /**
   * Turns the writes of initializations take, shared by all Rollouts: a controller that meets
   * 10,000 new Rollouts at once writes their primaries, Services and routes a few dozen at a
   * time instead of holding every request in the API client's queue. Without it, no limit.
   */
  initializations?: Turns;
  /** The proxy webhooks go through (the playground's mesh proxy) and the loadtester's token. */
  webhooks: WebhookDelivery;
}

export interface Progress {
  canaryWeight: number;
  iterations: number;
  failedChecks: number;
}

export type Deployment = KubeObject & {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: Record<string, unknown>;
  };
  status?: Record<string, unknown>;
};

/** A wait's deadline passed before what it waited for happened. */
export class ProgressDeadline extends Error {
  constructor(what: string, reason: string) {
    super(`${what} did not happen before the progress deadline: ${reason}`);
    this.name = 'ProgressDeadline';
  }
}

/** Polls until `check` says done, the deadline passes (then throws its last reason) or the signal aborts. */
export async function waitUntil(
  check: () => Promise<{ done: boolean; reason: string }>,
  options: { deadline: number; signal: AbortSignal; pollMs: number; what: string },
): Promise<void> {
  for (;;) {
    const state = await check();
    if (state.done) return;
    const left = options.deadline - Date.now();
    if (left <= 0) {
      throw new ProgressDeadline(options.what, state.reason);
    }
    // timers/promises removes its abort listener when the timer fires: no listener piles up.
    await sleep(Math.min(options.pollMs, left), undefined, { signal: options.signal }).catch(() => {
      throw new Error(`stopped waiting: ${options.what} is no longer needed`);
    });
  }
}

/**
 * Waits until a Deployment is ready as `request.check` says: on the watch's events with a
 * `waiter` (the controller), else by reading it every `pollMs` (the CLI, which has no watch).
 */
export function waitForDeployment<T extends ReadinessSubject>(
  waiter: DeploymentWaiter | undefined,
  request: ReadinessWait<T>,
): Promise<void> {
  if (waiter) return waiter.wait(request);
  return waitUntil(async () => request.check(await request.read()), request);
}

/**
 * Sets the canary's share of traffic and the strategy's pins (named after the revision under
 * release), reporting (and undoing) a change someone else made.
 */
export async function routeTo(
  ctx: EffectContext,
  traffic: Traffic & { urgent?: boolean },
): Promise<void> {
  const route = ctx.route();
  const { canaryWeight } = traffic;
  const result = await ctx.router().setTraffic(route, { ...traffic, revision: ctx.revision() });
  if (result.drifted) {
    ctx.report({
      type: 'Warning',
      reason: 'RoutingDrift',
      message: `routing object ${route.namespace}/${route.name} was changed by someone else (found ${JSON.stringify(result.found)}); fledge set it back to ${100 - canaryWeight}/${canaryWeight}${traffic.pinned ? ' with the requests the strategy pins to the canary' : ''}`,
    });
  }
}

/** Runs an initialization's writes in one of the shared turns, if the controller keeps any. */
export const inInitializationTurn = (
  ctx: EffectContext,
  writes: () => Promise<void>,
  signal?: AbortSignal,
): Promise<void> => (ctx.initializations ? ctx.initializations.run(writes, signal) : writes());

/** Where traffic is at rest: on `canaryWeight`, nothing pinned. */
export const unpinned = (canaryWeight: number): Traffic => ({ canaryWeight, pinned: false });

/** A rollback's traffic: all of it back from the failing canary, on the urgent lane. */
export const rolledBack = (): Traffic & { urgent: true } => ({ ...unpinned(0), urgent: true });
