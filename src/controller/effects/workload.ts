import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import type { Effects } from '../../../machines/provide.js';
import type { Rollout } from '../../api/types.js';
import { isConflict, isNotFound, type KubeObject } from '../../kube/api-server.js';
import { mergePatchBetween } from '../../kube/patch.js';
import { knownTypes, ownerReferenceTo, ResourceClient } from '../../kube/resources.js';
import {
  type Autoscaler,
  type AutoscalerSpec,
  canaryStartReplicas,
  primaryAutoscaler,
  withinBounds,
} from '../workload/autoscaler.js';
import { Autoscalers } from '../workload/autoscalers.js';
import { keptChange } from '../workload/kept.js';
import {
  primaryDeployment,
  primaryTemplate,
  type WorkloadNames,
  workloadNames,
} from '../workload/objects.js';
import { deploymentReadiness } from '../workload/readiness.js';
import {
  overriddenKeys,
  serviceChange,
  serviceSettingsOf,
  workloadServices,
} from '../workload/services.js';
import { analysisEffects } from './analysis.js';
import {
  type Deployment,
  type EffectContext,
  inInitializationTurn,
  rolledBack,
  routeTo,
  unpinned,
  waitForDeployment,
} from './context.js';

export function namesOf(rollout: Rollout): WorkloadNames {
  const rolloutName = rollout.metadata.name ?? '';
  const targetName = rollout.spec.targetRef?.name ?? rolloutName;
  const serviceName = rollout.spec.service.name ?? rolloutName;
  return workloadNames(rollout.metadata.namespace ?? 'default', targetName, serviceName);
}

/** An autoscaler as the watch holds it (null: absent); undefined while no watch has listed. */
function cachedAutoscaler(ctx: EffectContext, name: string): Autoscaler | null | undefined {
  const cache = ctx.autoscalerCache?.();
  if (!cache) return undefined;
  return cache.get(namesOf(ctx.rollout()).namespace, name) ?? null;
}

/**
 * The target's autoscaler (spec.autoscalerRef), from the watch when it has listed: null
 * without one; a missing one is an error only where it is `required`.
 */
async function targetAutoscaler(
  ctx: EffectContext,
  autoscalers: Autoscalers,
  required: boolean,
): Promise<Autoscaler | null> {
  const ref = ctx.rollout().spec.autoscalerRef;
  if (!ref) return null;
  const { namespace } = namesOf(ctx.rollout());
  const cached = cachedAutoscaler(ctx, ref.name);
  const found =
    cached !== undefined
      ? cached
      : await (await autoscalers.client(ref.apiVersion)).find(namespace, ref.name);
  if (!found) {
    if (!required) return null;
    throw new Error(
      `HorizontalPodAutoscaler ${namespace}/${ref.name} (spec.autoscalerRef.name) does not exist; create it or fix spec.autoscalerRef`,
    );
  }
  return found;
}

/** The primary's autoscaler as it should be, from the target's; null without an autoscaler. */
async function desiredPrimaryAutoscaler(
  ctx: EffectContext,
  autoscalers: Autoscalers,
  required: boolean,
): Promise<Autoscaler | null> {
  const ref = ctx.rollout().spec.autoscalerRef;
  const target = await targetAutoscaler(ctx, autoscalers, required);
  if (!ref || !target) return null;
  return primaryAutoscaler(
    target,
    ref,
    namesOf(ctx.rollout()).primary,
    ownerReferenceTo(ctx.rollout()),
  );
}

/** Creates the primary's autoscaler or brings it in step, compared with the watch's copy. */
function applyPrimaryAutoscaler(
  ctx: EffectContext,
  autoscalers: Autoscalers,
  desired: Autoscaler,
): Promise<boolean> {
  return autoscalers.apply(
    desired,
    ctx.rollout().spec.autoscalerRef?.apiVersion,
    cachedAutoscaler(ctx, desired.metadata?.name ?? ''),
  );
}

/**
 * Keeps `<name>-primary`'s autoscaler in step with the target's (created if missing). Run at
 * initialization, at each release start and promotion, and while the machine rests (then,
 * with the watch, without a request); a target autoscaler that is gone leaves the primary's
 * as it is.
 */
export async function syncPrimaryAutoscaler(
  ctx: EffectContext,
  autoscalers = new Autoscalers(ctx.api),
): Promise<AutoscalerSpec | undefined> {
  const desired = await desiredPrimaryAutoscaler(ctx, autoscalers, false);
  if (!desired) return undefined;
  if (await applyPrimaryAutoscaler(ctx, autoscalers, desired)) {
    ctx.log.info(
      { autoscaler: desired.metadata?.name },
      "the primary's autoscaler follows the target's",
    );
  }
  return desired.spec;
}

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
 * What each Rollout's Services were last written from, by the Rollout's uid. Between revisions
 * only the spec can change them (a new target template is a new revision, whose start writes
 * them), so a resting reconcile with the same spec reads nothing: at rest, the controller's
 * resync costs no GETs, even for a settled machine let go and restored (a new effect context).
 * Bounded past the 10,000 Rollouts one controller is sized for; one that falls out is read and
 * checked again at its next resync, nothing worse.
 */
const syncedFrom = new LRUCache<string, string>({ max: 20_000 });
const syncedKey = (rollout: Rollout) =>
  rollout.metadata.uid ?? `${rollout.metadata.namespace}/${rollout.metadata.name}`;
const servicesKey = (rollout: Rollout) =>
  JSON.stringify([rollout.spec.targetRef?.name, rollout.spec.service]);

/**
 * Writes the three Services of workload mode as the Rollout and the target (`source`, for its
 * selector and, with portDiscovery, its ports) say: created when missing, else changed only
 * where they differ. The one writer of those Services.
 */
export async function syncServices(ctx: EffectContext, source: Deployment): Promise<void> {
  const rollout = ctx.rollout();
  const from = servicesKey(rollout);
  const names = namesOf(rollout);
  const services = new ResourceClient(ctx.api, knownTypes.services);
  const settings = serviceSettingsOf(rollout.spec.service);
  const desired = workloadServices(source as unknown as V1Deployment, names, settings, rollout);
  let wrote = false;
  for (const service of desired.services) {
    const name = service.metadata?.name ?? '';
    const existing = await services.find(names.namespace, name);
    if (!existing) {
      await services.create(service as unknown as KubeObject);
      wrote = true;
      continue;
    }
    const change = serviceChange(existing as unknown as V1Service, service);
    if (change === undefined) continue;
    await services.mergePatch(names.namespace, name, change);
    wrote = true;
  }
  syncedFrom.set(syncedKey(rollout), from);
  // Said when the Services are written, not at every reconcile that finds them right.
  if (!wrote) return;
  const overridden = overriddenKeys(settings);
  if (overridden.length > 0) {
    ctx.log.warn({ fields: overridden }, "fledge's own label or annotation wins over these");
  }
  if (desired.skipped.length > 0) {
    ctx.log.warn(
      { ports: desired.skipped },
      'spec.service.portDiscovery: these ports are not exposed',
    );
  }
}

/** The Services written from the target as the API server holds it (none while it is missing). */
export async function syncServicesFromTarget(ctx: EffectContext): Promise<void> {
  const { namespace, target } = namesOf(ctx.rollout());
  const deployments = new ResourceClient<Deployment>(ctx.api, knownTypes.deployments);
  const source = await deployments.find(namespace, target);
  if (source) await syncServices(ctx, source);
}

/** The Services while the machine rests, once after each change of spec.service. */
export async function syncServicesAtRest(ctx: EffectContext): Promise<void> {
  const rollout = ctx.rollout();
  if (syncedFrom.get(syncedKey(rollout)) === servicesKey(rollout)) return;
  await syncServicesFromTarget(ctx);
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
   * target: what the promotion would have written into it. Retrying until the progress deadline
   * and then rolling back would send every caller to a primary that no longer exists.
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
          else await createPrimary(source, autoscaler);
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
    },

    finalise: async ({ canaryWeight }) => {
      await routeTo(ctx, unpinned(canaryWeight));
      await scaleTargetDown();
    },

    rollback: async () => {
      await routeTo(ctx, rolledBack());
      await scaleTargetDown();
    },
  };
}
