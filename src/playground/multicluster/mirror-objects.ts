/**
 * What Linkerd's service mirror writes into a linked cluster for each exported Service of the
 * target cluster, and how to bring the mirrors there up to date: pure functions over the
 * objects both API servers list.
 */

import { SERVICE_NAME_LABEL } from '../mesh/endpoints.js';

export const EXPORTED_LABEL = 'mirror.linkerd.io/exported';
export const MIRRORED_SERVICE_LABEL = 'mirror.linkerd.io/mirrored-service';
export const CLUSTER_NAME_LABEL = 'mirror.linkerd.io/cluster-name';
/**
 * Names the exported Service on a mirror; the destination controller (the mesh) hands it to
 * proxies as the endpoint's authority override, so the remote gateway can route.
 */
export const REMOTE_FQ_NAME_ANNOTATION = 'mirror.linkerd.io/remote-svc-fq-name';
export const REMOTE_RESOURCE_VERSION_ANNOTATION = 'mirror.linkerd.io/remote-resource-version';
export const GATEWAY_IDENTITY_ANNOTATION = 'mirror.linkerd.io/remote-gateway-identity';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'linkerd-service-mirror.fledge.dev';

export interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
}

export interface MirrorService {
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { ports?: ServicePort[]; selector?: Record<string, string> };
}

export interface MirrorSlice {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  addressType: 'IPv4';
  endpoints: Array<{ addresses: string[]; conditions: { ready: boolean } }>;
  ports: Array<{ name: string; port: number; protocol: string }>;
}

/** Where a cluster's gateway listens, as the mirrors of its Services point at it. */
export interface GatewayAddress {
  ip: string;
  port: number;
  identity: string;
}

/** The mirror of `service` (of cluster `cluster`) is `<service>-<cluster>`, as in Linkerd. */
export function mirrorName(service: string, cluster: string): string {
  return `${service}-${cluster}`;
}

export function mirrorSelector(cluster: string): string {
  return `${MIRRORED_SERVICE_LABEL}=true,${CLUSTER_NAME_LABEL}=${cluster}`;
}

/** The mirror Service and its EndpointSlice (every port to the gateway) for one exported Service. */
export function mirrorObjects(
  remote: MirrorService,
  cluster: string,
  gateway: GatewayAddress,
  clusterDomain = 'cluster.local',
): { service: MirrorService; slice: MirrorSlice } {
  const { name: remoteName, namespace } = remote.metadata;
  const name = mirrorName(remoteName, cluster);
  const labels = { [MIRRORED_SERVICE_LABEL]: 'true', [CLUSTER_NAME_LABEL]: cluster };
  const ports = (remote.spec?.ports ?? []).map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    port: p.port ?? 0,
    protocol: p.protocol ?? 'TCP',
  }));
  return {
    service: {
      metadata: {
        name,
        namespace,
        labels,
        annotations: {
          [REMOTE_FQ_NAME_ANNOTATION]: `${remoteName}.${namespace}.svc.${clusterDomain}`,
          [REMOTE_RESOURCE_VERSION_ANNOTATION]: remote.metadata.resourceVersion ?? '',
        },
      },
      spec: { ports },
    },
    slice: {
      metadata: {
        name,
        namespace,
        labels: { ...labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY },
        annotations: { [GATEWAY_IDENTITY_ANNOTATION]: gateway.identity },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [gateway.ip], conditions: { ready: true } }],
      ports: ports.map((p) => ({ name: p.name ?? '', port: gateway.port, protocol: p.protocol })),
    },
  };
}

export interface MirrorPlan {
  /** Mirrors to create, or to update where one of that name exists. */
  apply: Array<{ service: MirrorService; slice: MirrorSlice; exists: boolean }>;
  /** Names of mirrors whose Service is no longer exported (or is gone). */
  remove: Array<{ namespace: string; name: string }>;
  /** Exported Services not mirrored because their namespace is missing here. */
  skipped: Array<{ namespace: string; name: string }>;
}

const key = (m: { metadata: { namespace: string; name: string } }) =>
  `${m.metadata.namespace}/${m.metadata.name}`;

/** A mirror needs writing when its ports or remote annotations differ from what it should be. */
function differs(current: MirrorService, desired: MirrorService): boolean {
  const annotations = [REMOTE_FQ_NAME_ANNOTATION, REMOTE_RESOURCE_VERSION_ANNOTATION];
  const portsOf = (s: MirrorService) =>
    JSON.stringify((s.spec?.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP']));
  return (
    portsOf(current) !== portsOf(desired) ||
    annotations.some((a) => current.metadata.annotations?.[a] !== desired.metadata.annotations?.[a])
  );
}

/**
 * Brings the mirrors of cluster `cluster` in line with its exported Services. Like Linkerd's
 * mirror, it never creates namespaces: an exported Service whose namespace does not exist in
 * this cluster is skipped until the namespace appears.
 */
export function planMirrors(
  exported: MirrorService[],
  mirrors: MirrorService[],
  /** `namespace/name` of the mirrors' EndpointSlices that exist. */
  slices: ReadonlySet<string>,
  namespaces: ReadonlySet<string>,
  cluster: string,
  gateway: GatewayAddress,
): MirrorPlan {
  const existing = new Map(mirrors.map((m) => [key(m), m]));
  const plan: MirrorPlan = { apply: [], remove: [], skipped: [] };
  const wanted = new Set<string>();
  for (const remote of exported) {
    if (remote.metadata.labels?.[EXPORTED_LABEL] !== 'true') continue;
    if (!namespaces.has(remote.metadata.namespace)) {
      plan.skipped.push({ namespace: remote.metadata.namespace, name: remote.metadata.name });
      continue;
    }
    const objects = mirrorObjects(remote, cluster, gateway);
    wanted.add(key(objects.service));
    const current = existing.get(key(objects.service));
    if (!current || differs(current, objects.service) || !slices.has(key(objects.slice))) {
      plan.apply.push({ ...objects, exists: current !== undefined });
    }
  }
  for (const mirror of mirrors) {
    const { namespace, name } = mirror.metadata;
    if (!wanted.has(key(mirror))) plan.remove.push({ namespace, name });
  }
  return plan;
}
