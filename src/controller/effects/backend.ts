import type { Effects } from '../../../machines/provide.js';
import type { Backend, Rollout } from '../../api/types.js';
import { type ApiServer, isNotFound, type KubeObject } from '../../kube/api-server.js';
import {
  endpointSliceTypes,
  knownTypes,
  ResourceClient,
  type ResourceType,
} from '../../kube/resources.js';
import { backendUnavailableCondition } from '../status.js';
import { analysisEffects } from './analysis.js';
import {
  type EffectContext,
  inInitializationTurn,
  rolledBack,
  routeTo,
  unpinned,
  waitUntil,
} from './context.js';

/** The slice version each API server serves, found once: the readiness wait polls this. */
const servedSliceType = new WeakMap<ApiServer, ResourceType>();

type EndpointSlice = KubeObject & {
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean } }>;
};

/** Ready addresses of a Service, from its EndpointSlices (a mirror's too: Linkerd's mirror fills them). */
export async function readyAddresses(
  api: ApiServer,
  namespace: string,
  service: string,
): Promise<number> {
  const served = servedSliceType.get(api);
  for (const type of served ? [served] : endpointSliceTypes) {
    try {
      const slices = await new ResourceClient<EndpointSlice>(api, type).list(namespace, {
        labelSelector: `kubernetes.io/service-name=${service}`,
      });
      servedSliceType.set(api, type);
      return slices.items
        .flatMap((slice) => slice.endpoints ?? [])
        .filter((endpoint) => endpoint.conditions?.ready !== false)
        .reduce((n, endpoint) => n + (endpoint.addresses?.length ?? 0), 0);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return 0;
}

/** The Service a backend is reached through: itself, or its Linkerd multicluster mirror. */
export function backendService(backend: Backend): string {
  return backend.cluster ? `${backend.service}-${backend.cluster}` : backend.service;
}

export function backendServices(rollout: Rollout): { stable: string; canary: string } {
  const backends = rollout.spec.backends;
  if (!backends) throw new Error('backend mode needs spec.backends');
  return { stable: backendService(backends.stable), canary: backendService(backends.canary) };
}

/** Why a backend cannot take traffic (missing Service or mirror, no ready endpoints), or null. */
export async function backendProblem(
  api: ApiServer,
  services: ResourceClient,
  namespace: string,
  backend: Backend,
  role: 'stable' | 'canary',
): Promise<string | null> {
  const name = backendService(backend);
  const where = backend.cluster
    ? `the Linkerd multicluster mirror ${namespace}/${name} of Service ${backend.service} in cluster ${backend.cluster}`
    : `Service ${namespace}/${name}`;
  const fix = backend.cluster
    ? `label Service ${backend.service} with mirror.linkerd.io/exported=true in cluster ${backend.cluster} and check the Link (linkerd multicluster gateways)`
    : `create it or fix spec.backends.${role}.service`;
  if (!(await services.find(namespace, name))) {
    return `${where} (spec.backends.${role}) does not exist; ${fix}`;
  }
  if ((await readyAddresses(api, namespace, name)) === 0)
    return `${where} (spec.backends.${role}) has no ready endpoints; ${fix}`;
  return null;
}

/**
 * Backend mode: traffic moves between two existing Services (each possibly a multicluster
 * mirror); fledge manages only the routing object. Promotion ends at 100% canary.
 */
export function backendEffects(ctx: EffectContext): Effects {
  const services = new ResourceClient(ctx.api, knownTypes.services);
  const namespace = () => ctx.rollout().metadata.namespace ?? 'default';
  const problems: Record<'stable' | 'canary', string | null> = { stable: null, canary: null };

  async function available(role: 'stable' | 'canary'): Promise<{ done: boolean; reason: string }> {
    const backends = ctx.rollout().spec.backends;
    if (!backends) return { done: false, reason: 'spec.backends is missing' };
    const problem = await backendProblem(ctx.api, services, namespace(), backends[role], role);
    problems[role] = problem;
    ctx.condition(backendUnavailableCondition(problems.stable ?? problems.canary));
    if (problem) {
      ctx.report({ type: 'Warning', reason: 'BackendUnavailable', message: problem });
      return { done: false, reason: problem };
    }
    return { done: true, reason: `${role} backend is available` };
  }

  async function require(role: 'stable' | 'canary'): Promise<void> {
    const state = await available(role);
    if (!state.done) throw new Error(state.reason);
  }

  return {
    ...analysisEffects(ctx, {
      get target() {
        return backendServices(ctx.rollout()).canary;
      },
      get canaryService() {
        return backendServices(ctx.rollout()).canary;
      },
      get primary() {
        return backendServices(ctx.rollout()).stable;
      },
      get primaryService() {
        return backendServices(ctx.rollout()).stable;
      },
    }),

    initialize: (_input, signal) =>
      inInitializationTurn(
        ctx,
        async () => {
          await require('stable');
          await ctx.router().reconcile(ctx.route());
          await routeTo(ctx, unpinned(0));
        },
        signal,
      ),

    startCanary: ({ deadline }, signal) =>
      waitUntil(() => available('canary'), {
        deadline,
        signal,
        pollMs: ctx.pollMs,
        what: 'the canary backend becoming available',
      }),

    setWeight: (traffic) => routeTo(ctx, traffic),

    promote: async () => {
      await require('canary');
    },

    finalise: ({ canaryWeight }) => routeTo(ctx, unpinned(canaryWeight)),

    rollback: async () => {
      await routeTo(ctx, rolledBack());
      return { routed: true };
    },

    awaitPrimary: ({ deadline }, signal) =>
      waitUntil(() => available('stable'), {
        deadline,
        signal,
        pollMs: ctx.pollMs,
        what: 'the stable backend becoming available',
      }),
  };
}
