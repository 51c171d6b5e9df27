import { ROUTING_API_VERSIONS } from '../api/spec-rules.js';
import type { ApiServer } from '../kube/api-server.js';
import type { ResourceType } from '../kube/resources.js';
import { type HttpRouteApiVersion, httpRouteFormat } from './gateway-api.js';
import { type RouteFormat, RouteObjectRouter } from './route-object.js';
import type { Router } from './router.js';
import { type SmiVersion, smiFormat } from './smi.js';

export type { Router, RouteTarget, Weights, WeightsResult } from './router.js';

/** spec.routing of a Rollout. */
export interface RoutingSpec {
  provider?: string;
  apiVersion?: string;
}

const smiGroup = 'split.smi-spec.io';

/** The apiVersions each provider accepts; the first is the default. */
export const supportedRouting = ROUTING_API_VERSIONS;

/** The router for a Rollout's spec.routing; throws naming the field and the accepted values. */
export function createRouter(api: ApiServer, routing: RoutingSpec = {}): Router {
  const provider = routing.provider ?? 'smi';
  if (provider !== 'smi' && provider !== 'gateway-api') {
    throw new Error(
      `spec.routing.provider "${provider}" is not supported; use "smi" or "gateway-api"`,
    );
  }
  const apiVersion = routing.apiVersion ?? supportedRouting[provider][0];
  const accepted: readonly string[] = supportedRouting[provider];
  if (!accepted.includes(apiVersion)) {
    throw new Error(
      `spec.routing.apiVersion "${apiVersion}" is not supported by provider ${provider}; use one of ${accepted.join(', ')}`,
    );
  }
  return new RouteObjectRouter(api, routeFormat(provider, apiVersion));
}

function routeFormat(provider: RoutingProvider, apiVersion: string): RouteFormat {
  return provider === 'smi'
    ? smiFormat(apiVersion.slice(smiGroup.length + 1) as SmiVersion)
    : httpRouteFormat(apiVersion as HttpRouteApiVersion);
}

type RoutingProvider = keyof typeof supportedRouting;

/** The routing object's type at every provider and apiVersion fledge supports. */
export const routingObjectTypes: ResourceType[] = (
  Object.keys(supportedRouting) as RoutingProvider[]
).flatMap((provider) =>
  supportedRouting[provider].map((apiVersion) => routeFormat(provider, apiVersion).type),
);

/** A router for every provider and apiVersion fledge supports, to find its objects without a spec. */
export function allRouters(api: ApiServer): Router[] {
  return (Object.keys(supportedRouting) as RoutingProvider[]).flatMap((provider) =>
    supportedRouting[provider].map(
      (apiVersion) => new RouteObjectRouter(api, routeFormat(provider, apiVersion)),
    ),
  );
}
