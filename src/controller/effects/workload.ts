import type { V1Deployment } from '@kubernetes/client-node';
import type { Effects } from '../../../machines/provide.js';
import { isConflict, isNotFound } from '../../kube/api-server.js';
import { mergePatchBetween } from '../../kube/patch.js';
import { knownTypes, ResourceClient } from '../../kube/resources.js';
import { type Autoscaler, canaryStartReplicas, withinBounds } from '../workload/autoscaler.js';
import { Autoscalers } from '../workload/autoscalers.js';
import { keptChange } from '../workload/kept.js';
import { namesOf, primaryDeployment, primaryTemplate } from '../workload/objects.js';
import { availablePods, deploymentReadiness } from '../workload/readiness.js';
import { analysisEffects } from './analysis.js';
import {
  type Deployment,
  type EffectContext,
  inInitializationTurn,
  ProgressDeadline,
  rolledBack,
  routeTo,
  unpinned,
  waitForDeployment,
} from './context.js';
import {
  applyPrimaryAutoscaler,
  desiredPrimaryAutoscaler,
  syncPrimaryAutoscaler,
  targetAutoscaler,
} from './primary-autoscaler.js';
import { recordStable, restorePrimary } from './stable-primary.js';
import { syncServices } from './workload-services.js';

/**
 * Marks the primary for this Rollout (kept.ts) when it is not yet: one an older fledge owned,
 * or one another Rollout of the name left. Read when `primary` is not given; absent, nothing.
 */
export async function keepPrimary(ctx: EffectContext, primary?: Deployment): Promise<void> {
  const { namespace, primary: name } = namesOf(ctx.rollout());
  const deployments = new ResourceClient<Deployment>(ctx.api, knownTypes.deployments);
  const found = primary ?? (await deployments.find(namespace, name));
  if (found) await writePrimary(ctx, deployments, found);
}

/**
 * Writes `template` (a merge patch) into the primary and marks it for the Rollout, in one
 * conditional patch; the answer, or the primary as it was when neither is needed.
 */
async function writePrimary(
  ctx: EffectContext,
  deployments: ResourceClient<Deployment>,
  primary: Deployment,
  template?: unknown,
): Promise<Deployment> {
  const kept = keptChange(primary, ctx.rollout());
  if (template === undefined && kept === undefined) return primary;
  const { namespace, primary: name } = namesOf(ctx.rollout());
  return deployments.mergePatch(namespace, name, {
    metadata: { resourceVersion: primary.metadata?.resourceVersion, ...kept },
    ...(template === undefined ? {} : { spec: { template } }),
  });
}

/**
 * Workload mode (contract §2): fledge owns `<target>-primary`, the three Services and the
 * routing object; the target Deployment is the canary, scaled to 0 between rollouts. With
 * spec.autoscalerRef the primary has a copy of the target's autoscaler, and fledge never
 * writes the primary's replicas after creating it: they are its autoscaler's.
 */
export function workloadEffects(ctx: EffectContext): Effects {
  const deployments = new ResourceClient<Deployment>(ctx.api, knownTypes.deployments);
  const autoscalers = new Autoscalers(ctx.api);
  const names = () => namesOf(ctx.rollout());
  const namespace = () => names().namespace;

  async function target(): Promise<Deployment> {
    const n = names();
    const found = await deployments.find(n.namespace, n.target);
    if (!found) {
      throw new Error(
        `target Deployment ${n.namespace}/${n.target} (spec.targetRef.name) does not exist; create it or fix spec.targetRef`,
      );
    }
    return found;
  }

  /** Sets Deployment `name`'s replicas; the API server's answer is what it stored. */
  function scale(name: string, replicas: number): Promise<Deployment> {
    return deployments.mergePatch(namespace(), name, { spec: { replicas } });
  }

  /** Scales the target to 0; a target that is gone has nothing left to scale. */
  async function scaleTargetDown(): Promise<void> {
    try {
      await scale(names().target, 0);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Until Deployment `name` is ready by the Rollout's threshold for it, or the deadline;
   * `written`, the answer to the effect's own write of its spec, stands for the first read.
   */
  function ready(
    name: string,
    threshold: 'primaryReadyThreshold' | 'canaryReadyThreshold',
    wait: { deadline: number; signal: AbortSignal; what: string; written?: Deployment },
  ): Promise<void> {
    const ns = namespace();
    return waitForDeployment(ctx.readiness, {
      ...wait,
      namespace: ns,
      name,
      pollMs: ctx.pollMs,
      read: () => deployments.find(ns, name),
      check: (deployment) => {
        if (!deployment) return { done: false, reason: `Deployment ${ns}/${name} is missing` };
        const readiness = deploymentReadiness(
          deployment as unknown as V1Deployment,
          ctx.rollout().spec.analysis[threshold] ?? 100,
        );
        return { done: readiness.ready, reason: readiness.reason };
      },
    });
  }

  const ensureServices = (source: Deployment) => syncServices(ctx, source);

  /** The target still has an available pod, which callers kept on the canary reach. */
  async function canaryServes(): Promise<boolean> {
    const { namespace: ns, target: name } = names();
    const canary = ctx.deployments?.get(ns, name) ?? (await deployments.find(ns, name));
    return canary ? availablePods(canary) > 0 : false;
  }

  /** The rollback routes nothing yet: callers stay where the routing object has them. */
  async function keepOnCanary(): Promise<{ routed: false; canaryWeight: number }> {
    const weights = await ctx.router().getWeights(ctx.route());
    return { routed: false, canaryWeight: weights?.canary ?? 0 };
  }

  function reportUnavailable(): void {
    const { namespace: ns, primary, target: name } = names();
    ctx.report({
      type: 'Warning',
      reason: 'PrimaryUnavailable',
      message: `primary Deployment ${ns}/${primary} has no available pod: the rollback routes callers back to it once it is ready, and until then they stay on the canary ${ns}/${name} (kubectl -n ${ns} describe deployment ${primary})`,
    });
  }

  /**
   * Creates the primary from `source`, at its replicas within the primary autoscaler's bounds;
   * the API server's answer, or null when another writer created it first.
   */
  async function createPrimary(
    source: Deployment,
    autoscaler: Autoscaler | null,
  ): Promise<Deployment | null> {
    const replicas = withinBounds(Math.max(1, source.spec?.replicas ?? 1), autoscaler?.spec);
    const primary = primaryDeployment(
      source as unknown as V1Deployment,
      names(),
      ctx.rollout(),
      replicas,
    );
    try {
      return await deployments.create(primary as unknown as Deployment);
    } catch (error) {
      if (!isConflict(error)) throw error;
      return null;
    }
  }

  /** Copies the target's template into the primary; the answer, or the primary if in step. */
  async function copyTemplate(primary: Deployment, source: Deployment): Promise<Deployment> {
    // A copy, not a merge: what was removed from the target is removed from the primary.
    const template = mergePatchBetween(
      primary.spec?.template ?? {},
      primaryTemplate(source as unknown as V1Deployment),
    );
    // The template only: the primary's replicas stay its autoscaler's (or as they were).
    return writePrimary(ctx, deployments, primary, template);
  }

  /**
   * A primary someone deleted during the release is created again by the promotion, from the
   * target: what the promotion would have written into it. (A rollback creates it from the
   * stable revision instead, stable-primary.ts.)
   */
  async function recreatePrimary(source: Deployment): Promise<Deployment | null> {
    const n = names();
    ctx.report({
      type: 'Warning',
      reason: 'PrimaryMissing',
      message: `primary Deployment ${n.namespace}/${n.primary} was deleted during the release; the promotion creates it again from ${n.target}, the revision analysed`,
    });
    return createPrimary(source, await desiredPrimaryAutoscaler(ctx, autoscalers, false));
  }

  return {
    ...analysisEffects(ctx, {
      get target() {
        return names().target;
      },
      get canaryService() {
        return names().canaryService;
      },
      get primary() {
        return names().primary;
      },
      get primaryService() {
        return names().primaryService;
      },
    }),

    initialize: async (_input, signal) => {
      const n = names();
      await inInitializationTurn(
        ctx,
        async () => {
          const source = await target();
          const autoscaler = await desiredPrimaryAutoscaler(ctx, autoscalers, true);
          const existing = await deployments.find(n.namespace, n.primary);
          if (existing) await keepPrimary(ctx, existing);
          // The first stable revision, which a rollback may need to create the primary again.
          const primary = existing ?? (await createPrimary(source, autoscaler));
          if (primary) await recordStable(ctx, primary, { first: !existing });
          if (autoscaler) await applyPrimaryAutoscaler(ctx, autoscalers, autoscaler);
          await ensureServices(source);
          await ctx.router().reconcile(ctx.route());
          await routeTo(ctx, unpinned(0));
        },
        signal,
      );
      // The wait for the primary holds no turn: it costs no request while the watch runs.
      await ready(n.primary, 'primaryReadyThreshold', {
        deadline: Date.now() + (ctx.rollout().spec.progressDeadlineSeconds ?? 600) * 1000,
        signal,
        what: `primary ${n.namespace}/${n.primary} becoming ready`,
      });
      await scale(n.target, 0);
    },

    startCanary: async ({ deadline }, signal) => {
      const n = names();
      const primary =
        ctx.deployments?.get(n.namespace, n.primary) ??
        (await deployments.find(n.namespace, n.primary));
      // The canary Service exposes the new revision's ports (portDiscovery) from its start.
      if (ctx.servicesInSync?.() !== true) await ensureServices(await target());
      const canaryAutoscaler = await targetAutoscaler(ctx, autoscalers, false);
      await syncPrimaryAutoscaler(ctx, autoscalers);
      // From 0 the target's autoscaler is inert; at this count it takes the canary over.
      const written = await scale(
        n.target,
        canaryStartReplicas(primary?.spec?.replicas, canaryAutoscaler?.spec),
      );
      await ready(n.target, 'canaryReadyThreshold', {
        deadline,
        signal,
        what: `canary ${n.namespace}/${n.target} becoming ready`,
        written,
      });
    },

    setWeight: (traffic) => routeTo(ctx, traffic),

    promote: async ({ deadline }, signal) => {
      const n = names();
      const source = await target();
      const primary = await deployments.find(n.namespace, n.primary);
      const written = primary ? await copyTemplate(primary, source) : await recreatePrimary(source);
      await syncPrimaryAutoscaler(ctx, autoscalers);
      await ready(n.primary, 'primaryReadyThreshold', {
        deadline,
        signal,
        what: `primary ${n.namespace}/${n.primary} running the new revision`,
        ...(written ? { written } : {}),
      });
      // Ready, it is what a rollback from here on routes callers to.
      if (written) await recordStable(ctx, written);
    },

    finalise: async ({ canaryWeight }) => {
      await routeTo(ctx, unpinned(canaryWeight));
      await scaleTargetDown();
    },

    rollback: async (_input, signal) => {
      const n = names();
      // The watch's copy when it shows a pod that serves: the weight write is what callers
      // wait for, and a GET waits behind every other request of the controller. Otherwise
      // read, as the copy may lag a deletion or a pod becoming available.
      const cached = ctx.deployments?.get(n.namespace, n.primary);
      const primary =
        cached && availablePods(cached) > 0
          ? cached
          : await deployments.find(n.namespace, n.primary);
      if (!primary) {
        await restorePrimary(ctx);
        return keepOnCanary();
      }
      // Callers sent to a primary without an available pod would find none (one created again
      // a moment ago, by this rollback before a restart, or by a person): they stay on the
      // canary while it has pods to serve them.
      if (availablePods(primary) === 0 && (await canaryServes())) {
        reportUnavailable();
        return keepOnCanary();
      }
      await routeTo(ctx, rolledBack());
      // The route write went out beside the status that decided the rollback; the canary's
      // pods go only once that decision is on record, so a replica that takes over from a
      // status still at a weight never routes callers to a canary without pods.
      await ctx.decisionRecorded();
      if (signal.aborted)
        throw new Error('the machine left the rollback before the canary was scaled down');
      await scaleTargetDown();
      return { routed: true };
    },

    awaitPrimary: async ({ deadline }, signal) => {
      const n = names();
      try {
        await ready(n.primary, 'primaryReadyThreshold', {
          deadline,
          signal,
          what: `primary ${n.namespace}/${n.primary} becoming ready`,
        });
      } catch (error) {
        if (!(error instanceof ProgressDeadline)) throw error;
        throw new Error(
          `${error.message}; callers stay on the canary ${n.namespace}/${n.target} until it is: see why its pods are not ready (kubectl -n ${n.namespace} describe deployment ${n.primary})`,
        );
      }
    },
  };
}
