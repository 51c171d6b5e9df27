import type { RoutingSpec } from '../api/types.js';

export type RoutingConversion =
  | { ok: true; routing: RoutingSpec; note?: string }
  | { ok: false; reason: string };

const BY_PROVIDER: Record<string, RoutingSpec> = {
  linkerd: { provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha2' },
  smi: { provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha2' },
  'smi:v1alpha1': { provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha1' },
  'smi:v1alpha2': { provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha2' },
  gatewayapi: { provider: 'gateway-api', apiVersion: 'gateway.networking.k8s.io/v1beta1' },
  'gatewayapi:v1beta1': {
    provider: 'gateway-api',
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
  },
  'gatewayapi:v1': { provider: 'gateway-api', apiVersion: 'gateway.networking.k8s.io/v1' },
};

export const FLAGGER_PROVIDERS = Object.keys(BY_PROVIDER);

/**
 * Flagger's mesh provider as fledge routing. A Canary without spec.provider takes Flagger's
 * --mesh-provider flag, which the file does not show: `fallback` (the --provider option of
 * convert) stands in for it; else what implies Gateway API (gatewayRefs: Linkerd's tutorial
 * installs Flagger with gatewayapi:v1beta1; A/B testing or session affinity, which only a route
 * can do), and plain Linkerd (SMI) otherwise.
 */
export function convertProvider(
  provider: string | undefined,
  fallback: string | undefined,
  /** The Canary's fields that only Gateway API routing carries, as `service.gatewayRefs`. */
  impliedBy: string | undefined,
): RoutingConversion {
  const chosen = provider ?? fallback;
  if (chosen !== undefined) {
    const routing = BY_PROVIDER[chosen];
    if (routing) return { ok: true, routing };
    if (chosen === 'smi:v1alpha3') {
      return {
        ok: true,
        routing: { provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha2' },
        note: 'smi:v1alpha3 became split.smi-spec.io/v1alpha2, the newest TrafficSplit version fledge writes',
      };
    }
    return {
      ok: false,
      reason: `provider ${chosen} is not a Linkerd routing: fledge converts ${FLAGGER_PROVIDERS.join(', ')}`,
    };
  }
  if (impliedBy !== undefined) {
    return {
      ok: true,
      routing: BY_PROVIDER['gatewayapi:v1beta1'] as RoutingSpec,
      note: `no spec.provider (Flagger takes it from --mesh-provider); ${impliedBy} imply gatewayapi:v1beta1, so routing is gateway-api HTTPRoute v1beta1 (pass --provider to choose)`,
    };
  }
  return {
    ok: true,
    routing: BY_PROVIDER.linkerd as RoutingSpec,
    note: 'no spec.provider (Flagger takes it from --mesh-provider); assumed linkerd, so routing is an SMI TrafficSplit v1alpha2 (pass --provider to choose)',
  };
}
