import type { Effects } from '../../../machines/provide.js';
import type { Backend, Rollout } from '../../api/types.js';
import type { KubeObject } from '../../kube/api-server.js';
import { knownTypes, ResourceClient, type ResourceType } from '../../kube/resources.js';
import { analysisEffects } from './analysis.js';
import { type EffectContext, routeTo, waitUntil } from './context.js';

const endpointsType: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'endpoints',
  kind: 'Endpoints',
  namespaced: true,
};

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
  services: ResourceClient,
  endpoints: ResourceClient,
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
  const found = (await endpoints.find(namespace, name)) as
    | (KubeObject & { subsets?: Array<{ addresses?: unknown[] }> })
    | null;
  const ready = (found?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  if (ready === 0) return `${where} (spec.backends.${role}) has no ready endpoints; ${fix}`;
  return null;
}

/**
 * Backend mode: traffic moves between two existing Services (each possibly a multicluster
 * mirror); fledge manages only the routing object. Promotion ends at 100% canary.
 */
export function backendEffects(ctx: EffectContext): Effects {
  const services = new ResourceClient(ctx.api, knownTypes.services);
  const endpoints = new ResourceClient(ctx.api, endpointsType);
  const namespace = () => ctx.rollout().metadata.namespace ?? 'default';

  async function available(role: 'stable' | 'canary'): Promise<{ done: boolean; reason: string }> {
    const backends = ctx.rollout().spec.backends;
    if (!backends) return { done: false, reason: 'spec.backends is missing' };
    const problem = await backendProblem(services, endpoints, namespace(), backends[role], role);
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
    }),

    initialize: async () => {
      await require('stable');
      await ctx.router().reconcile(ctx.route());
      await routeTo(ctx, 0);
    },

    startCanary: ({ deadline }, signal) =>
      waitUntil(() => available('canary'), {
        deadline,
        signal,
        pollMs: ctx.pollMs,
        what: 'the canary backend becoming available',
      }),

    setWeight: ({ canaryWeight }) => routeTo(ctx, canaryWeight),

    promote: async () => {
      await require('canary');
    },

    finalise: ({ canaryWeight }) => routeTo(ctx, canaryWeight),

    rollback: () => routeTo(ctx, 0),
  };
}
