import type { KubeObject } from '../kube/api-server.js';
import type { RouteFormat } from './route-object.js';
import { percentages, type RouteTarget, type Weights } from './router.js';

export const smiVersions = ['v1alpha1', 'v1alpha2'] as const;
export type SmiVersion = (typeof smiVersions)[number];

interface SmiBackend {
  service?: unknown;
  weight?: unknown;
}

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * A Kubernetes quantity ("900m", "1", "1.5k", "2e3") or a plain number as a number; NaN
 * when it is neither. v1alpha1 TrafficSplit weights are quantities.
 */
export function parseQuantity(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const match =
    /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(
      value.trim(),
    );
  if (!match) return Number.NaN;
  const [, number = '', exponent, suffix = ''] = match;
  if (exponent) return Number(number + exponent);
  const factor = suffixes[suffix];
  return factor === undefined ? Number.NaN : Number(number) * factor;
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
    buildSpec: (target, weights) => {
      const weight = (value: number) => (version === 'v1alpha1' ? String(value) : value);
      return {
        service: target.apexService,
        backends: [
          { service: target.stableService, weight: weight(weights.stable) },
          { service: target.canaryService, weight: weight(weights.canary) },
        ],
      };
    },
    readWeights: readSmiWeights,
  };
}

export function readSmiWeights(target: RouteTarget, object: KubeObject): Weights | null {
  const spec = object.spec as { service?: unknown; backends?: SmiBackend[] } | undefined;
  if (spec?.service !== target.apexService || !Array.isArray(spec.backends)) return null;
  const weightOf = (service: string) => {
    const backend = spec.backends?.find((b) => b.service === service);
    return backend ? parseQuantity(backend.weight) : Number.NaN;
  };
  const stable = weightOf(target.stableService);
  const canary = weightOf(target.canaryService);
  const all = spec.backends.map((b) => parseQuantity(b.weight));
  if ([stable, canary, ...all].some((w) => Number.isNaN(w) || w < 0)) return null;
  return percentages(
    stable,
    canary,
    all.reduce((sum, w) => sum + w, 0),
  );
}
