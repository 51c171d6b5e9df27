import type { ROUTING_API_VERSIONS } from '../api/spec-rules.js';
import type { KubeObject } from '../kube/api-server.js';
import type { RouteFormat } from './route-object.js';
import { percentages, type RouteTarget, type Weights } from './router.js';

export type HttpRouteApiVersion = (typeof ROUTING_API_VERSIONS)['gateway-api'][number];

interface BackendRef {
  group?: unknown;
  kind?: unknown;
  name?: unknown;
  port?: unknown;
  weight?: unknown;
}

interface ParentRef {
  group?: unknown;
  kind?: unknown;
  name?: unknown;
  port?: unknown;
}

/**
 * A GAMMA HTTPRoute as Linkerd reads it: its parent is the apex Service (group "core", kind
 * Service, with the port), one rule whose backendRefs carry the weights.
 */
export function httpRouteFormat(apiVersion: HttpRouteApiVersion): RouteFormat {
  const [group = '', version = ''] = apiVersion.split('/');
  return {
    provider: 'gateway-api',
    type: { group, version, plural: 'httproutes', kind: 'HTTPRoute', namespaced: true },
    buildSpec: (target, weights) => ({
      parentRefs: [{ group: 'core', kind: 'Service', name: target.apexService, port: target.port }],
      rules: [
        {
          backendRefs: [
            backendRef(target.stableService, target.port, weights.stable),
            backendRef(target.canaryService, target.port, weights.canary),
          ],
        },
      ],
    }),
    readWeights: readHttpRouteWeights,
    readTarget: (object) => {
      const spec = object.spec as
        | { parentRefs?: ParentRef[]; rules?: { backendRefs?: BackendRef[] }[] }
        | undefined;
      const parent = spec?.parentRefs?.[0];
      const [stable, canary] = spec?.rules?.[0]?.backendRefs ?? [];
      if (typeof parent?.name !== 'string' || typeof parent.port !== 'number') return null;
      if (typeof stable?.name !== 'string' || typeof canary?.name !== 'string') return null;
      return {
        apexService: parent.name,
        port: parent.port,
        stableService: stable.name,
        canaryService: canary.name,
      };
    },
  };
}

// No `group`: the core group is the default, and kube-apiserver 1.20 rejects an explicit
// "" there as null.
const backendRef = (name: string, port: number, weight: number) => ({
  kind: 'Service',
  name,
  port,
  weight,
});

const isServiceRef = (ref: { group?: unknown; kind?: unknown }) =>
  (ref.group === undefined || ref.group === '' || ref.group === 'core') &&
  (ref.kind === undefined || ref.kind === 'Service');

export function readHttpRouteWeights(target: RouteTarget, object: KubeObject): Weights | null {
  const spec = object.spec as {
    parentRefs?: ParentRef[];
    rules?: { backendRefs?: BackendRef[] }[];
  };
  const parentOk = spec?.parentRefs?.some(
    (p) =>
      p.name === target.apexService &&
      (p.group === 'core' || p.group === '') &&
      p.kind === 'Service' &&
      (p.port === undefined || p.port === target.port),
  );
  if (!parentOk || spec.rules?.length !== 1) return null;
  const refs = spec.rules[0]?.backendRefs;
  if (!Array.isArray(refs)) return null;
  // Gateway API's default weight is 1.
  const weightOf = (ref: BackendRef) => (ref.weight === undefined ? 1 : Number(ref.weight));
  const find = (name: string) =>
    refs.find((r) => r.name === name && isServiceRef(r) && (r.port ?? target.port) === target.port);
  const stableRef = find(target.stableService);
  const canaryRef = find(target.canaryService);
  if (!stableRef || !canaryRef) return null;
  const all = refs.map(weightOf);
  if (all.some((w) => !Number.isInteger(w) || w < 0)) return null;
  return percentages(
    weightOf(stableRef),
    weightOf(canaryRef),
    all.reduce((sum, w) => sum + w, 0),
  );
}
