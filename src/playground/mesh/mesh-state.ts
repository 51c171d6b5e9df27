import { REMOTE_FQ_NAME_ANNOTATION } from '../multicluster/mirror-objects.js';
import {
  type Endpoint,
  type EndpointSliceObject,
  resolveEndpoints,
  type ServiceObject,
} from './endpoints.js';
import { canonicalAuthority, type ServiceAddress } from './host-name.js';
import { deploymentOf, type PodObject } from './pod-identity.js';
import type { Destination, Workload } from './proxy-metrics.js';
import {
  type HeaderModifier,
  noFilters,
  type Redirect,
  type RouteFilters,
} from './route-filters.js';
import {
  buildRoutingTable,
  type RequestFacts,
  type RouteRule,
  type RoutingObject,
  type RoutingTable,
  selectRule,
} from './routing-table.js';
import { SmoothWeightedRoundRobin } from './weighted-choice.js';

/** What the cluster looks like to the mesh: lookups in the watches' caches. */
export interface ClusterView {
  service(namespace: string, name: string): ServiceObject | undefined;
  /** The EndpointSlices of one Service. */
  endpointSlices(namespace: string, service: string): Iterable<EndpointSliceObject>;
  pod(namespace: string, name: string): PodObject | undefined;
  routingObjects(): Iterable<RoutingObject>;
}

export type RouteDecision =
  | {
      kind: 'forward';
      endpoint: Endpoint;
      destination: Destination;
      server?: Workload;
      /** The Host to send upstream instead of the caller's (a mirror's remote Service). */
      authorityOverride?: string;
      /** The rule's header filters, then its backend's, in the order they apply. */
      requestHeaders: HeaderModifier[];
      responseHeaders: HeaderModifier[];
      /** No response by then: the proxy answers 504 (gRPC: DEADLINE_EXCEEDED). */
      timeoutMs?: number;
    }
  | { kind: 'redirect'; redirect: Redirect; prefix?: string }
  | { kind: 'reject'; status: 502 | 503; reason: string; destination?: Destination }
  | {
      /** The backend has no ready endpoint yet: ask `again` until `failFastAt`, then 503. */
      kind: 'queue';
      reason: string;
      destination: Destination;
      failFastAt: number;
      again: () => RouteDecision;
    };

/**
 * linkerd2-proxy's outbound balancer holds a request while its backend has no endpoint, and
 * fails requests fast only once it has had none for this long (its
 * DEFAULT_OUTBOUND_HTTP_FAILFAST_TIMEOUT). An EndpointSlice that lags a Deployment's readiness
 * by a moment costs a caller latency, not an error.
 */
export const FAILFAST_MS = 3000;
/** Backends remembered as empty; a playground has far fewer Services than this. */
const MAX_EMPTY_BACKENDS = 10_000;

interface BackendChoice {
  service: string;
  namespace: string;
  port?: number;
  filters: RouteFilters;
}

interface Chosen extends BackendChoice {
  rule?: RouteRule;
}

/**
 * Decides where each request goes, as a Linkerd proxy would: the Service's route (if a
 * TrafficSplit or HTTPRoute names it) picks a backend Service by weight, then a ready
 * endpoint of that backend is picked round-robin. Keeps the balancers' state between calls.
 */
export class MeshState {
  private table: RoutingTable | null = null;
  private readonly choosers = new Map<string, SmoothWeightedRoundRobin<BackendChoice>>();
  private readonly endpointTurns = new Map<string, number>();
  /** Since when each backend (`namespace/service:port`) has had no ready endpoint. */
  private readonly emptySince = new Map<string, number>();

  constructor(
    private readonly view: ClusterView,
    private readonly reportProblems: (problems: string[]) => void = () => {},
  ) {}

  /** Call when a routing object changed; the table is rebuilt on the next request. */
  invalidateRoutes(): void {
    this.table = null;
  }

  routingTable(): RoutingTable {
    if (!this.table) {
      this.table = buildRoutingTable(this.view.routingObjects());
      const live = new Set<string>();
      for (const [service, routes] of this.table.routes) {
        for (const route of routes) {
          for (const [index, rule] of route.rules.entries()) {
            live.add(chooserKey(service, route.source, index, rule.backends));
          }
        }
      }
      for (const key of this.choosers.keys()) if (!live.has(key)) this.choosers.delete(key);
      this.reportProblems(this.table.problems);
    }
    return this.table;
  }

  decide(address: ServiceAddress, request: RequestFacts): RouteDecision {
    const apexKey = `${address.namespace}/${address.service}`;
    const apex = this.view.service(address.namespace, address.service);
    const authority = canonicalAuthority(address);
    if (!apex) {
      return {
        kind: 'reject',
        status: 502,
        reason: `no Service "${address.service}" in namespace "${address.namespace}" (create it, or check the host name ${address.service}.${address.namespace})`,
      };
    }
    const backend = this.chooseBackend(address, request);
    if ('reason' in backend) return { kind: 'reject', status: 503, reason: backend.reason };
    if ('redirect' in backend) return backend;
    const { rule } = backend;
    const routing = {
      requestHeaders: [...(rule?.filters.request ?? []), ...backend.filters.request],
      responseHeaders: [...(rule?.filters.response ?? []), ...backend.filters.response],
      ...(rule?.timeoutMs !== undefined ? { timeoutMs: rule.timeoutMs } : {}),
    };
    const destination = { service: backend.service, namespace: backend.namespace, authority };
    return this.toEndpoint(apexKey, backend, address.port, destination, routing);
  }

  /** A ready endpoint of the chosen backend, or the queue while it has none. */
  private toEndpoint(
    apexKey: string,
    backend: Chosen,
    addressPort: number,
    destination: Destination,
    routing: Pick<
      Extract<RouteDecision, { kind: 'forward' }>,
      'requestHeaders' | 'responseHeaders' | 'timeoutMs'
    >,
  ): RouteDecision {
    const backendKey = `${backend.namespace}/${backend.service}`;
    const service = this.view.service(backend.namespace, backend.service);
    if (!service) {
      return {
        kind: 'reject',
        status: 503,
        reason: `backend Service ${backendKey} of ${apexKey} does not exist`,
        destination,
      };
    }
    const port = backend.port ?? addressPort;
    const turnKey = `${backendKey}:${port}`;
    const slices = this.view.endpointSlices(backend.namespace, backend.service);
    const resolved = resolveEndpoints(service, slices, port);
    if (!resolved.ok) return { kind: 'reject', status: 503, reason: resolved.reason, destination };
    // A terminating pod serves on through its grace period (the playground's kubelet, like an
    // app with a preStop pause): it is skipped while the slice has another, and used while the
    // slice does not list its replacement yet, as kube-proxy does with terminating endpoints.
    const live = resolved.endpoints.filter((endpoint) => !this.isTerminating(endpoint));
    const ready = live.length > 0 ? live : resolved.endpoints;
    if (ready.length === 0) {
      const reason = `Service ${backendKey} has no ready endpoints for port ${port}`;
      const now = Date.now();
      if (!this.emptySince.has(turnKey)) {
        if (this.emptySince.size >= MAX_EMPTY_BACKENDS) this.emptySince.clear();
        this.emptySince.set(turnKey, now);
      }
      const failFastAt = (this.emptySince.get(turnKey) ?? now) + FAILFAST_MS;
      if (now >= failFastAt) return { kind: 'reject', status: 503, reason, destination };
      const again = () => this.toEndpoint(apexKey, backend, addressPort, destination, routing);
      return { kind: 'queue', reason, destination, failFastAt, again };
    }
    this.emptySince.delete(turnKey);
    const turn = this.endpointTurns.get(turnKey) ?? 0;
    this.endpointTurns.set(turnKey, turn + 1);
    const endpoint = ready[turn % ready.length] as Endpoint;
    const remote = service.metadata?.annotations?.[REMOTE_FQ_NAME_ANNOTATION];
    return {
      kind: 'forward',
      endpoint,
      destination,
      server: this.workloadOf(endpoint),
      ...(remote ? { authorityOverride: `${remote}:${port}` } : {}),
      ...routing,
    };
  }

  private chooseBackend(
    address: ServiceAddress,
    request: RequestFacts,
  ): Chosen | { reason: string } | Extract<RouteDecision, { kind: 'redirect' }> {
    const apex = `${address.namespace}/${address.service}`;
    const selected = selectRule(
      this.routingTable(),
      address.namespace,
      address.service,
      address.port,
      request,
    );
    if (!selected) {
      return { service: address.service, namespace: address.namespace, filters: noFilters() };
    }
    const { route, rule, index } = selected;
    if (rule.filters.redirect) {
      const prefix = rule.matches.find(
        (match) => match.kind === 'http' && match.path?.type === 'PathPrefix',
      );
      return {
        kind: 'redirect',
        redirect: rule.filters.redirect,
        ...(prefix?.kind === 'http' && prefix.path ? { prefix: prefix.path.value } : {}),
      };
    }
    const key = chooserKey(apex, route.source, index, rule.backends);
    let chooser = this.choosers.get(key);
    if (!chooser) {
      chooser = new SmoothWeightedRoundRobin(
        rule.backends.map(({ service, namespace, port, weight, filters }) => ({
          value: { service, namespace, port, filters },
          weight,
        })),
      );
      this.choosers.set(key, chooser);
    }
    const chosen = chooser.next();
    return chosen
      ? { ...chosen, rule }
      : { reason: `${route.source} routes ${apex} to no backend with a positive weight` };
  }

  private isTerminating(endpoint: Endpoint): boolean {
    if (!endpoint.pod) return false;
    const pod = this.view.pod(endpoint.pod.namespace, endpoint.pod.name);
    return (
      pod?.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null
    );
  }

  private workloadOf(endpoint: Endpoint): Workload | undefined {
    if (!endpoint.pod) return undefined;
    const pod = this.view.pod(endpoint.pod.namespace, endpoint.pod.name);
    return {
      namespace: endpoint.pod.namespace,
      deployment: pod ? deploymentOf(pod) : '',
      pod: endpoint.pod.name,
    };
  }
}

function chooserKey(
  apex: string,
  source: string,
  index: number,
  backends: ReadonlyArray<{ service: string; namespace: string; port?: number; weight: number }>,
): string {
  // Filters are part of the backends, so a changed filter gets a new chooser too.
  return `${apex}|${source}|${index}|${JSON.stringify(backends)}`;
}
