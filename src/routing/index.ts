import { ROUTING_API_VERSIONS } from '../api/spec-rules.js';
import { ROUTE_KIND_API_VERSIONS, type RouteKind } from '../api/strategy-rules.js';
import type { ApiServer } from '../kube/api-server.js';
import type { ResourceType } from '../kube/resources.js';
import { gatewayRouteFormat } from './gateway-api.js';
import { type RouteCacheOf, type RouteFormat, RouteObjectRouter } from './route-object.js';
import type { Router } from './router.js';
import { type SmiVersion, smiFormat } from './smi.js';

export type { RouteCache, RouteCacheOf } from './route-object.js';
export type { Router, RouteTarget, Traffic, Weights, WeightsResult } from './router.js';

/** spec.routing of a Rollout. */
export interface RoutingSpec {
  provider?: string;
  apiVersion?: string;
  kind?: string;
}

const smiGroup = 'split.smi-spec.io';

/** The apiVersions each provider accepts; the first is the default. */
export const supportedRouting = ROUTING_API_VERSIONS;

type RoutingProvider = keyof typeof supportedRouting;

/** Every routing object fledge can write: a TrafficSplit per SMI version, a route per kind and version. */
const routingFormats: Array<{ provider: RoutingProvider; kind: string; apiVersion: string }> = [
  ...supportedRouting.smi.map((apiVersion) => ({
    provider: 'smi' as const,
    kind: 'TrafficSplit',
    apiVersion,
  })),
  ...(Object.keys(ROUTE_KIND_API_VERSIONS) as RouteKind[]).flatMap((kind) =>
    ROUTE_KIND_API_VERSIONS[kind].map((apiVersion) => ({
      provider: 'gateway-api' as const,
      kind,
      apiVersion,
    })),
  ),
];

/**
 * The router for a Rollout's spec.routing; throws naming the field and the accepted values.
 * `cacheOf` gives it the controller's watch cache of its type, where there is one.
 */
export function createRouter(
  api: ApiServer,
  routing: RoutingSpec = {},
  cacheOf?: RouteCacheOf,
): Router {
  const provider = routing.provider ?? 'smi';
  if (provider !== 'smi' && provider !== 'gateway-api') {
    throw new Error(
      `spec.routing.provider "${provider}" is not supported; use "smi" or "gateway-api"`,
    );
  }
  const kind = provider === 'smi' ? 'TrafficSplit' : (routing.kind ?? 'HTTPRoute');
  const apiVersion = routing.apiVersion ?? supportedRouting[provider][0];
  const found = routingFormats.find(
    (format) =>
      format.provider === provider && format.kind === kind && format.apiVersion === apiVersion,
  );
  if (!found) {
    const accepted = routingFormats
      .filter((format) => format.provider === provider && format.kind === kind)
      .map((format) => format.apiVersion);
    throw new Error(
      `spec.routing.apiVersion "${apiVersion}" is not supported by provider ${provider} for ${kind}; use one of ${accepted.join(', ') || 'none: check spec.routing.kind'}`,
    );
  }
  const format = routeFormat(found);
  return new RouteObjectRouter(api, format, cacheOf?.(format.type));
}

function routeFormat(format: (typeof routingFormats)[number]): RouteFormat {
  return format.provider === 'smi'
    ? smiFormat(format.apiVersion.slice(smiGroup.length + 1) as SmiVersion)
    : gatewayRouteFormat(format.kind as RouteKind, format.apiVersion);
}

/** The routing object's type at every provider, kind and apiVersion fledge supports. */
export const routingObjectTypes: ResourceType[] = routingFormats.map(
  (format) => routeFormat(format).type,
);

/** A router for every routing object fledge supports, to find its objects without a spec. */
export function allRouters(api: ApiServer): Router[] {
  return routingFormats.map((format) => new RouteObjectRouter(api, routeFormat(format)));
}
