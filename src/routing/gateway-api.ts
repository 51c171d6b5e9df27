import type { RouteKind } from '../api/strategy-rules.js';
import type { KubeObject } from '../kube/api-server.js';
import { isJson, type Json, list, ruleFingerprint, sameSpec } from './gateway-normalize.js';
import { managedWeights, mergeRoute, releasedSpec, routedTarget } from './gateway-rules.js';
import { addedRules, type RouteFormat } from './route-object.js';

const plurals: Record<RouteKind, string> = { HTTPRoute: 'httproutes', GRPCRoute: 'grpcroutes' };

const specOf = (object: KubeObject | null): Json | undefined =>
  isJson(object?.spec) ? object.spec : undefined;

/**
 * A GAMMA route as Linkerd reads it, HTTPRoute or GRPCRoute: its parent is the apex Service
 * (group "core", kind Service, with the port). fledge owns the backendRefs of the rules that
 * route to the Rollout's Services and the rules it adds for the strategy (gateway-rules.ts);
 * the rest of the route is the user's.
 */
export function gatewayRouteFormat(kind: RouteKind, apiVersion: string): RouteFormat {
  const [group = '', version = ''] = apiVersion.split('/');
  return {
    provider: 'gateway-api',
    type: { group, version, plural: plurals[kind], kind, namespaced: true },
    desiredSpec: (target, traffic, current) =>
      mergeRoute(kind, target, traffic, specOf(current), addedRules(current)),
    sameSpec: (a, b) => sameSpec(kind, a, b),
    readWeights: (target, object) => {
      const spec = specOf(object);
      if (!spec || !servesApex(spec, target.apexService, target.port)) return null;
      return managedWeights(kind, target, spec, addedRules(object));
    },
    readTarget: (object) => {
      const spec = specOf(object);
      return spec ? routedTarget(kind, spec, addedRules(object)) : null;
    },
    lostOwnRules: (object) => {
      const present = new Set(
        list(specOf(object)?.rules).map((rule) => ruleFingerprint(kind, rule)),
      );
      return [...addedRules(object)].some((fingerprint) => !present.has(fingerprint));
    },
    releasedSpec: (target, object) => {
      const spec = specOf(object);
      return spec ? releasedSpec(kind, target, spec, addedRules(object)) : null;
    },
  };
}

/** The route's parent is the apex Service, at the Rollout's port or at every port. */
function servesApex(spec: Json, apexService: string, port: number): boolean {
  return list(spec.parentRefs).some(
    (parent) =>
      parent.name === apexService &&
      (parent.group === 'core' || parent.group === '') &&
      parent.kind === 'Service' &&
      (parent.port === undefined || parent.port === port),
  );
}
