/**
 * The mesh's routing table: which backend Services receive a Service's traffic, and in
 * what proportion, from SMI TrafficSplits (split.smi-spec.io v1alpha1/v1alpha2), HTTPRoutes
 * (gateway.networking.k8s.io v1/v1beta1, policy.linkerd.io v1beta3) and GRPCRoutes
 * (gateway.networking.k8s.io v1/v1alpha2) with a Service parent, as Linkerd's proxies read
 * them: matches, filters and timeouts included.
 */

import { parseQuantity } from '../../kube/quantity.js';
import { durationMs, noFilters, parseFilters, type RouteFilters } from './route-filters.js';
import {
  compareScores,
  type RequestFacts,
  type RouteMatch,
  ruleScore,
  type Score,
  valueMatcher,
} from './route-match.js';

export type { RequestFacts } from './route-match.js';

export interface Backend {
  service: string;
  namespace: string;
  /** The backend Service port; absent means the port the client asked for. */
  port?: number;
  weight: number;
  filters: RouteFilters;
}

export interface RouteRule {
  /** Empty: the rule takes every request. */
  matches: RouteMatch[];
  filters: RouteFilters;
  backends: Backend[];
  /** The proxy answers 504 (gRPC: DEADLINE_EXCEEDED) when no response came by then. */
  timeoutMs?: number;
}

export interface ServiceRoute {
  /** The object that declared it, for logs and error bodies: `Kind namespace/name`. */
  source: string;
  /** Only requests to this Service port, when set (HTTPRoute parentRef port). */
  port?: number;
  /** A GRPCRoute's rules match gRPC calls. */
  grpc: boolean;
  rules: RouteRule[];
}

export interface RoutingTable {
  /** Routes by `namespace/service`, in precedence order. */
  routes: Map<string, ServiceRoute[]>;
  /** What was ignored and why, for people. */
  problems: string[];
}

export interface RoutingObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: routing objects arrive as untyped JSON from several API versions
  spec?: any;
}

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the API server
type Untyped = any;

/** Linkerd's route-wide request timeout, for rules without a `timeouts` of their own. */
export const TIMEOUT_ANNOTATION = 'timeout.linkerd.io/request';

function describe(object: RoutingObject): string {
  return `${object.kind ?? 'object'} ${object.metadata?.namespace}/${object.metadata?.name}`;
}

function groupOf(object: RoutingObject): string {
  return (object.apiVersion ?? '').split('/')[0] ?? '';
}

function fromTrafficSplit(split: RoutingObject, problems: string[]) {
  const namespace = split.metadata?.namespace ?? 'default';
  const service = split.spec?.service;
  if (typeof service !== 'string' || service === '') {
    problems.push(`${describe(split)}: spec.service is missing; the split is ignored`);
    return [];
  }
  const backends: Backend[] = [];
  for (const [i, backend] of (Array.isArray(split.spec?.backends)
    ? split.spec.backends
    : []
  ).entries()) {
    const weight = parseQuantity(backend?.weight);
    if (typeof backend?.service !== 'string' || weight === null || weight < 0) {
      problems.push(
        `${describe(split)}: spec.backends[${i}] needs a service name and a weight that is a non-negative number or quantity (got ${JSON.stringify(backend)}); the backend is ignored`,
      );
      continue;
    }
    backends.push({ service: backend.service, namespace, weight, filters: noFilters() });
  }
  return [
    {
      key: `${namespace}/${service}`,
      route: {
        source: describe(split),
        grpc: false,
        rules: [{ matches: [], filters: noFilters(), backends }],
      },
    },
  ];
}

function headerMatchers(list: unknown) {
  return (Array.isArray(list) ? list : []).map((header: Untyped) =>
    valueMatcher(
      String(header?.name ?? '').toLowerCase(),
      header?.type,
      String(header?.value ?? ''),
    ),
  );
}

function httpMatch(match: Untyped): RouteMatch {
  const path = match?.path
    ? { type: match.path.type ?? 'PathPrefix', value: match.path.value ?? '/' }
    : undefined;
  return {
    kind: 'http',
    path: path && {
      ...path,
      ...(path.type === 'RegularExpression'
        ? { regex: valueMatcher('', path.type, path.value).regex }
        : {}),
    },
    method: match?.method,
    headers: headerMatchers(match?.headers),
    queryParams: (Array.isArray(match?.queryParams) ? match.queryParams : []).map(
      (param: Untyped) =>
        valueMatcher(String(param?.name ?? ''), param?.type, String(param?.value ?? '')),
    ),
  };
}

function grpcMatch(match: Untyped): RouteMatch {
  return {
    kind: 'grpc',
    service: match?.method?.service || undefined,
    method: match?.method?.method || undefined,
    headers: headerMatchers(match?.headers),
  };
}

function unusableRegex(matches: RouteMatch[], where: string, problems: string[]): void {
  for (const match of matches) {
    const patterns = [...match.headers, ...(match.kind === 'http' ? match.queryParams : [])];
    for (const matcher of patterns) {
      if (matcher.type === 'RegularExpression' && !matcher.regex) {
        problems.push(
          `${where}: ${JSON.stringify(matcher.value)} is not a regular expression; it matches nothing`,
        );
      }
    }
  }
}

function fromGatewayRoute(route: RoutingObject, problems: string[]) {
  const namespace = route.metadata?.namespace ?? 'default';
  const grpc = route.kind === 'GRPCRoute';
  const routeTimeout = durationMs(route.metadata?.annotations?.[TIMEOUT_ANNOTATION]);
  const parents = (Array.isArray(route.spec?.parentRefs) ? route.spec.parentRefs : []).filter(
    (parent: Untyped) => parent?.kind === 'Service' && ['', 'core'].includes(parent.group ?? ''),
  );
  const rules: RouteRule[] = [];
  for (const [r, rule] of (Array.isArray(route.spec?.rules) ? route.spec.rules : []).entries()) {
    const where = `${describe(route)}: spec.rules[${r}]`;
    const backends: Backend[] = [];
    for (const [b, ref] of (Array.isArray(rule?.backendRefs) ? rule.backendRefs : []).entries()) {
      const kind = ref?.kind ?? 'Service';
      const group = ref?.group ?? '';
      const weight = ref?.weight === undefined ? 1 : parseQuantity(ref.weight);
      if (
        kind !== 'Service' ||
        (group !== '' && group !== 'core') ||
        typeof ref?.name !== 'string'
      ) {
        problems.push(
          `${where}.backendRefs[${b}] must name a core Service; the backend is ignored`,
        );
        continue;
      }
      if (weight === null || weight < 0) {
        problems.push(
          `${where}.backendRefs[${b}].weight must be a non-negative integer; the backend is ignored`,
        );
        continue;
      }
      backends.push({
        service: ref.name,
        namespace: ref.namespace ?? namespace,
        port: typeof ref.port === 'number' ? ref.port : undefined,
        weight,
        filters: parseFilters(ref.filters, `${where}.backendRefs[${b}]`, problems),
      });
    }
    const matches: RouteMatch[] = (Array.isArray(rule?.matches) ? rule.matches : []).map(
      grpc ? grpcMatch : httpMatch,
    );
    unusableRegex(matches, where, problems);
    const timeouts = [
      durationMs(rule?.timeouts?.request),
      durationMs(rule?.timeouts?.backendRequest),
    ];
    const own = timeouts.filter((ms): ms is number => ms !== undefined);
    const timeoutMs = own.length > 0 ? Math.min(...own) : routeTimeout;
    rules.push({
      matches,
      filters: parseFilters(rule?.filters, where, problems),
      backends,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  }
  return parents.map((parent: Untyped) => ({
    key: `${parent.namespace ?? namespace}/${parent.name}`,
    route: {
      source: describe(route),
      port: typeof parent.port === 'number' ? parent.port : undefined,
      grpc,
      rules,
    },
  }));
}

/**
 * GRPCRoutes take precedence over HTTPRoutes on a parent (as in Linkerd), both over
 * TrafficSplits; then older objects over newer ones.
 */
function precedence(object: RoutingObject): string {
  const kindRank = { GRPCRoute: '0', HTTPRoute: '1' }[object.kind ?? ''] ?? '2';
  return `${kindRank} ${object.metadata?.creationTimestamp ?? ''} ${object.metadata?.name ?? ''}`;
}

/**
 * Builds the table. The same object watched at several API versions of one CRD counts
 * once (keyed by group, namespace and name).
 */
export function buildRoutingTable(objects: Iterable<RoutingObject>): RoutingTable {
  const unique = new Map<string, RoutingObject>();
  for (const object of objects) {
    const key = `${object.kind}.${groupOf(object)}/${object.metadata?.namespace}/${object.metadata?.name}`;
    if (!unique.has(key)) unique.set(key, object);
  }
  const problems: string[] = [];
  const routes = new Map<string, ServiceRoute[]>();
  const ordered = [...unique.values()].sort((a, b) => precedence(a).localeCompare(precedence(b)));
  for (const object of ordered) {
    const entries =
      object.kind === 'TrafficSplit'
        ? fromTrafficSplit(object, problems)
        : object.kind === 'HTTPRoute' || object.kind === 'GRPCRoute'
          ? fromGatewayRoute(object, problems)
          : [];
    for (const { key, route } of entries) {
      const list = routes.get(key) ?? [];
      list.push(route);
      routes.set(key, list);
    }
  }
  return { routes, problems };
}

/**
 * The route and rule that take a request to `namespace/service` on `port`, if any: among its
 * routes (port-specific ones before port-less ones), the rule with the best match, the first
 * one on a tie.
 */
export function selectRule(
  table: RoutingTable,
  namespace: string,
  service: string,
  port: number,
  request: RequestFacts,
): { route: ServiceRoute; rule: RouteRule; index: number } | null {
  const attached = (table.routes.get(`${namespace}/${service}`) ?? []).filter(
    (route) => route.port === undefined || route.port === port,
  );
  // A parent with a GRPCRoute is routed by its GRPCRoutes alone.
  const grpc = attached.filter((route) => route.grpc);
  const candidates = grpc.length > 0 ? grpc : attached;
  for (const routes of [
    candidates.filter((route) => route.port !== undefined),
    candidates.filter((route) => route.port === undefined),
  ]) {
    let best: { route: ServiceRoute; rule: RouteRule; index: number; score: Score } | null = null;
    for (const route of routes) {
      for (const [index, rule] of route.rules.entries()) {
        const score = ruleScore(rule.matches, request, route.grpc);
        if (score && (!best || compareScores(score, best.score) > 0)) {
          best = { route, rule, index, score };
        }
      }
    }
    if (best) return { route: best.route, rule: best.rule, index: best.index };
  }
  return null;
}
