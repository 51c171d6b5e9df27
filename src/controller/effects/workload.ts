import type { V1Deployment } from '@kubernetes/client-node';
import type { Effects } from '../../../machines/provide.js';
import type { Rollout } from '../../api/types.js';
import { isConflict, isNotFound, type KubeObject } from '../../kube/api-server.js';
import { mergePatchBetween } from '../../kube/patch.js';
import { knownTypes, ownerReferenceTo, ResourceClient } from '../../kube/resources.js';
import {
  primaryDeployment,
  primaryTemplate,
  type WorkloadNames,
  workloadNames,
  workloadServices,
} from '../workload/objects.js';
import { deploymentReadiness } from '../workload/readiness.js';
import { analysisEffects } from './analysis.js';
import { type Deployment, type EffectContext, routeTo, unpinned, waitUntil } from './context.js';

export function namesOf(rollout: Rollout): WorkloadNames {
  const rolloutName = rollout.metadata.name ?? '';
  const targetName = rollout.spec.targetRef?.name ?? rolloutName;
  const serviceName = rollout.spec.service.name ?? rolloutName;
  return workloadNames(rollout.metadata.namespace ?? 'default', targetName, serviceName);
}

/**
 * Workload mode (contract §2): fledge owns `<target>-primary`, the three Services and the
 * routing object; the target Deployment is the canary, scaled to 0 between rollouts.
 */
export function workloadEffects(ctx: EffectContext): Effects {
  const deployments = new ResourceClient<Deployment>(ctx.api, knownTypes.deployments);
  const services = new ResourceClient(ctx.api, knownTypes.services);
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

  async function scale(name: string, replicas: number): Promise<void> {
    await deployments.mergePatch(namespace(), name, { spec: { replicas } });
  }

  /** Scales the target to 0; a target that is gone has nothing left to scale. */
  async function scaleTargetDown(): Promise<void> {
    try {
      await scale(names().target, 0);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async function ready(name: string): Promise<{ done: boolean; reason: string }> {
    const deployment = await deployments.find(namespace(), name);
    if (!deployment) return { done: false, reason: `Deployment ${namespace()}/${name} is missing` };
    const readiness = deploymentReadiness(deployment as unknown as V1Deployment);
    return { done: readiness.ready, reason: readiness.reason };
  }

  async function ensureServices(source: Deployment): Promise<void> {
    const rollout = ctx.rollout();
    const port = {
      port: rollout.spec.service.port,
      targetPort: rollout.spec.service.targetPort ?? rollout.spec.service.port,
    };
    for (const desired of workloadServices(
      source as unknown as V1Deployment,
      names(),
      port,
      ownerReferenceTo(rollout),
    )) {
      const name = desired.metadata?.name ?? '';
      const existing = await services.find(namespace(), name);
      if (!existing) {
        await services.create(desired as unknown as KubeObject);
        continue;
      }
      // Exactly what fledge wants: a selector key the target dropped is dropped here too.
      const spec = existing.spec as { selector?: unknown; ports?: unknown } | undefined;
      const change = mergePatchBetween(
        { selector: spec?.selector, ports: spec?.ports },
        { selector: desired.spec?.selector, ports: desired.spec?.ports },
      );
      if (change === undefined) continue;
      await services.mergePatch(namespace(), name, {
        metadata: { resourceVersion: existing.metadata?.resourceVersion },
        spec: change,
      });
    }
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
      const source = await target();
      const n = names();
      if (!(await deployments.find(n.namespace, n.primary))) {
        const replicas = Math.max(1, source.spec?.replicas ?? 1);
        const primary = primaryDeployment(
          source as unknown as V1Deployment,
          n,
          ownerReferenceTo(ctx.rollout()),
          replicas,
        );
        try {
          await deployments.create(primary as unknown as Deployment);
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
      await ensureServices(source);
      await ctx.router().reconcile(ctx.route());
      await routeTo(ctx, unpinned(0));
      await waitUntil(() => ready(n.primary), {
        deadline: Date.now() + (ctx.rollout().spec.progressDeadlineSeconds ?? 600) * 1000,
        signal,
        pollMs: ctx.pollMs,
        what: `primary ${n.namespace}/${n.primary} becoming ready`,
      });
      await scale(n.target, 0);
    },

    startCanary: async ({ deadline }, signal) => {
      const n = names();
      const primary = await deployments.find(n.namespace, n.primary);
      const replicas = Math.max(1, primary?.spec?.replicas ?? 1);
      await target();
      await scale(n.target, replicas);
      await waitUntil(() => ready(n.target), {
        deadline,
        signal,
        pollMs: ctx.pollMs,
        what: `canary ${n.namespace}/${n.target} becoming ready`,
      });
    },

    setWeight: (traffic) => routeTo(ctx, traffic),

    promote: async ({ deadline }, signal) => {
      const n = names();
      const source = await target();
      const primary = await deployments.get(n.namespace, n.primary);
      // A copy, not a merge: what was removed from the target is removed from the primary.
      const template = mergePatchBetween(
        primary.spec?.template ?? {},
        primaryTemplate(source as unknown as V1Deployment),
      );
      if (template !== undefined) {
        await deployments.mergePatch(n.namespace, n.primary, {
          metadata: { resourceVersion: primary.metadata?.resourceVersion },
          spec: { template },
        });
      }
      await waitUntil(() => ready(n.primary), {
        deadline,
        signal,
        pollMs: ctx.pollMs,
        what: `primary ${n.namespace}/${n.primary} running the new revision`,
      });
    },

    finalise: async ({ canaryWeight }) => {
      await routeTo(ctx, unpinned(canaryWeight));
      await scaleTargetDown();
    },

    rollback: async () => {
      await routeTo(ctx, unpinned(0));
      await scaleTargetDown();
    },
  };
}
