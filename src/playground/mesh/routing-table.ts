/**
 * The mesh's routing table: which backend Services receive a Service's traffic, and in
 * what proportion, from SMI TrafficSplits (split.smi-spec.io v1alpha1/v1alpha2) and
 * HTTPRoutes with a Service parent (gateway.networking.k8s.io v1/v1beta1,
 * policy.linkerd.io v1beta3), as Linkerd's proxies read them.
 */

import { parseQuantity } from '../../kube/quantity.js';

export interface Backend {
  service: string;
  namespace: string;
  /** The backend Service port; absent means the port the client asked for. */
  port?: number;
  weight: number;
}

export interface RouteMatch {
  path?: { type: string; value: string };
  headers: Array<{ name: string; value: string; type: string }>;
  method?: string;
}

export interface RouteRule {
  /** Empty: the rule takes every request. */
  matches: RouteMatch[];
  backends: Backend[];
}

export interface ServiceRoute {
  /** The object that declared it, for logs and error bodies: `Kind namespace/name`. */
  source: string;
  /** Only requests to this Service port, when set (HTTPRoute parentRef port). */
  port?: number;
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
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string };
  // biome-ignore lint/suspicious/noExplicitAny: routing objects arrive as untyped JSON from several API versions
  spec?: any;
}

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
    backends.push({ service: backend.service, namespace, weight });
  }
  return [
    {
      key: `${namespace}/${service}`,
      route: { source: describe(split), rules: [{ matches: [], backends }] },
    },
  ];
}

function matchesOf(rule: { matches?: unknown }): RouteMatch[] {
  if (!Array.isArray(rule.matches)) return [];
  // biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the API server
  return rule.matches.map((match: any) => ({
    path: match?.path
      ? { type: match.path.type ?? 'PathPrefix', value: match.path.value ?? '/' }
      : undefined,
    headers: Array.isArray(match?.headers)
      ? // biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the API server
        match.headers.map((header: any) => ({
          name: String(header?.name ?? '').toLowerCase(),
          value: String(header?.value ?? ''),
          type: header?.type ?? 'Exact',
        }))
      : [],
    method: match?.method,
  }));
}

function fromHttpRoute(route: RoutingObject, problems: string[]) {
  const namespace = route.metadata?.namespace ?? 'default';
  const parents = (Array.isArray(route.spec?.parentRefs) ? route.spec.parentRefs : []).filter(
    // biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the API server
    (parent: any) => parent?.kind === 'Service' && ['', 'core'].includes(parent.group ?? ''),
  );
  const rules: RouteRule[] = [];
  for (const [r, rule] of (Array.isArray(route.spec?.rules) ? route.spec.rules : []).entries()) {
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
          `${describe(route)}: spec.rules[${r}].backendRefs[${b}] must name a core Service; the backend is ignored`,
        );
        continue;
      }
      if (weight === null || weight < 0) {
        problems.push(
          `${describe(route)}: spec.rules[${r}].backendRefs[${b}].weight must be a non-negative integer; the backend is ignored`,
        );
        continue;
      }
      backends.push({
        service: ref.name,
        namespace: ref.namespace ?? namespace,
        port: typeof ref.port === 'number' ? ref.port : undefined,
        weight,
      });
    }
    rules.push({ matches: matchesOf(rule ?? {}), backends });
  }
  // biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the API server
  return parents.map((parent: any) => ({
    key: `${parent.namespace ?? namespace}/${parent.name}`,
    route: {
      source: describe(route),
      port: typeof parent.port === 'number' ? parent.port : undefined,
      rules,
    },
  }));
}

/** HTTPRoutes take precedence over TrafficSplits, then older objects over newer ones. */
function precedence(object: RoutingObject): string {
  const kindRank = object.kind === 'HTTPRoute' ? '0' : '1';
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
        : object.kind === 'HTTPRoute'
          ? fromHttpRoute(object, problems)
          : [];
    for (const { key, route } of entries) {
      const list = routes.get(key) ?? [];
      list.push(route);
      routes.set(key, list);
    }
  }
  return { routes, problems };
}

export interface RequestFacts {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

function matchOne(match: RouteMatch, request: RequestFacts): boolean {
  if (match.method && match.method !== request.method) return false;
  if (match.path) {
    const path = request.path.split('?')[0] ?? '/';
    const { type, value } = match.path;
    if (type === 'Exact' && path !== value) return false;
    if (type === 'PathPrefix') {
      const prefix = value.endsWith('/') ? value : `${value}/`;
      if (path !== value && !path.startsWith(prefix) && value !== '/') return false;
    }
    if (type === 'RegularExpression' && !new RegExp(`^${value}$`).test(path)) return false;
  }
  return match.headers.every((header) => {
    const actual = request.headers[header.name];
    const text = Array.isArray(actual) ? actual.join(',') : actual;
    return header.type === 'RegularExpression'
      ? text !== undefined && new RegExp(`^${header.value}$`).test(text)
      : text === header.value;
  });
}

/** The route and rule that take a request to `namespace/service` on `port`, if any. */
export function selectRule(
  table: RoutingTable,
  namespace: string,
  service: string,
  port: number,
  request: RequestFacts,
): { route: ServiceRoute; rule: RouteRule; index: number } | null {
  const candidates = (table.routes.get(`${namespace}/${service}`) ?? []).filter(
    (route) => route.port === undefined || route.port === port,
  );
  const ordered = [
    ...candidates.filter((route) => route.port !== undefined),
    ...candidates.filter((route) => route.port === undefined),
  ];
  for (const route of ordered) {
    const index = route.rules.findIndex(
      (rule) => rule.matches.length === 0 || rule.matches.some((m) => matchOne(m, request)),
    );
    const rule = route.rules[index];
    if (rule) return { route, rule, index };
  }
  return null;
}
