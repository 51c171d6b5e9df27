import type { KubeObject } from '../kube/api-server.js';
import { parseQuantity } from '../kube/quantity.js';
import type { RouteFormat } from './route-object.js';
import { percentages, type RouteTarget, type Weights } from './router.js';

export type SmiVersion = 'v1alpha1' | 'v1alpha2';

interface SmiBackend {
  service?: unknown;
  weight?: unknown;
}

/**
 * SMI TrafficSplit: spec.service is the apex, spec.backends the two Services. v1alpha1
 * weights are quantities, written as strings ("90") as the API machinery serializes them;
 * v1alpha2 weights are integers.
 */
export function smiFormat(version: SmiVersion): RouteFormat {
  return {
    provider: 'smi',
    type: {
      group: 'split.smi-spec.io',
      version,
      plural: 'trafficsplits',
      kind: 'TrafficSplit',
      namespaced: true,
    },
    // The whole spec is fledge's: a TrafficSplit has nothing else to keep, and no way to pin.
    desiredSpec: (target, traffic) => {
      const weight = (value: number) => (version === 'v1alpha1' ? String(value) : value);
      return {
        spec: {
          service: target.apexService,
          backends: [
            { service: target.stableService, weight: weight(100 - traffic.canaryWeight) },
            { service: target.canaryService, weight: weight(traffic.canaryWeight) },
          ],
        },
        added: [],
      };
    },
    // Only the weights and their backends count: servers may add fields to the rest.
    sameSpec: (a, b) => sameSplit(a, b),
    readWeights: readSmiWeights,
    lostOwnRules: () => false,
    releasedSpec: () => null,
    readTarget: (object) => {
      const spec = object.spec as { service?: unknown; backends?: SmiBackend[] } | undefined;
      const [stable, canary] = spec?.backends ?? [];
      if (typeof spec?.service !== 'string') return null;
      if (typeof stable?.service !== 'string' || typeof canary?.service !== 'string') return null;
      // A TrafficSplit routes a Service whatever its port: the port plays no part.
      return {
        apexService: spec.service,
        port: 0,
        stableService: stable.service,
        canaryService: canary.service,
      };
    },
  };
}

export function readSmiWeights(target: RouteTarget, object: KubeObject): Weights | null {
  const spec = object.spec as { service?: unknown; backends?: SmiBackend[] } | undefined;
  if (spec?.service !== target.apexService || !Array.isArray(spec.backends)) return null;
  const weightOf = (service: string) => {
    const backend = spec.backends?.find((b) => b.service === service);
    return backend ? (parseQuantity(backend.weight) ?? Number.NaN) : Number.NaN;
  };
  const stable = weightOf(target.stableService);
  const canary = weightOf(target.canaryService);
  const all = spec.backends.map((b) => parseQuantity(b.weight) ?? Number.NaN);
  if ([stable, canary, ...all].some((w) => Number.isNaN(w) || w < 0)) return null;
  return percentages(
    stable,
    canary,
    all.reduce((sum, w) => sum + w, 0),
  );
}

function sameSplit(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const backends = (spec: Record<string, unknown>) =>
    JSON.stringify({
      service: spec.service,
      backends: (Array.isArray(spec.backends) ? spec.backends : []).map((backend: SmiBackend) => [
        backend.service,
        parseQuantity(backend.weight),
      ]),
    });
  return backends(a) === backends(b);
}
