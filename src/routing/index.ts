import type { ApiServer } from '../kube/api-server.js';
import { type HttpRouteApiVersion, httpRouteApiVersions, httpRouteFormat } from './gateway-api.js';
import { RouteObjectRouter } from './route-object.js';
import type { Router } from './router.js';
import { type SmiVersion, smiFormat, smiVersions } from './smi.js';

export type { Router, RouteTarget, Weights, WeightsResult } from './router.js';

/** spec.routing of a Rollout. */
export interface RoutingSpec {
  provider?: string;
  apiVersion?: string;
}

const smiGroup = 'split.smi-spec.io';

export const supportedRouting = {
  smi: smiVersions.map((v) => `${smiGroup}/${v}`),
  'gateway-api': [...httpRouteApiVersions],
} as const;

export const defaultApiVersion = {
  smi: `${smiGroup}/v1alpha2`,
  'gateway-api': 'gateway.networking.k8s.io/v1',
} as const;

/** The router for a Rollout's spec.routing; throws naming the field and the accepted values. */
export function createRouter(api: ApiServer, routing: RoutingSpec = {}): Router {
  const provider = routing.provider ?? 'smi';
  if (provider !== 'smi' && provider !== 'gateway-api') {
    throw new Error(
      `spec.routing.provider "${provider}" is not supported; use "smi" or "gateway-api"`,
    );
  }
  const apiVersion = routing.apiVersion ?? defaultApiVersion[provider];
  const accepted: readonly string[] = supportedRouting[provider];
  if (!accepted.includes(apiVersion)) {
    throw new Error(
      `spec.routing.apiVersion "${apiVersion}" is not supported by provider ${provider}; use one of ${accepted.join(', ')}`,
    );
  }
  const format =
    provider === 'smi'
      ? smiFormat(apiVersion.slice(smiGroup.length + 1) as SmiVersion)
      : httpRouteFormat(apiVersion as HttpRouteApiVersion);
  return new RouteObjectRouter(api, format);
}
