/**
 * Where a Service's traffic can go: the ready addresses of its EndpointSlices for one port.
 * EndpointSlices, not Endpoints, because the API server refuses loopback addresses in
 * Endpoints (and the simulated pods live on 127.0.0.0/8); Linkerd reads slices too.
 */

export interface ServiceObject {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { ports?: Array<{ name?: string; port?: number }> };
}

export interface EndpointSliceObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{
    addresses?: string[];
    conditions?: { ready?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }>;
  ports?: Array<{ name?: string; port?: number }>;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Endpoint {
  ip: string;
  port: number;
  /** The serving pod, when the address belongs to one. */
  pod?: { namespace: string; name: string };
}

export type EndpointResolution =
  | { ok: true; endpoints: Endpoint[] }
  | { ok: false; reason: string };

/** The simulators only ever send traffic to the loopback network. */
export function isLoopback(ip: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/**
 * The ready loopback endpoints of `service` for its port `port`. Slices name their ports
 * after the Service's, so the target port is found by name, as kube-proxy does.
 */
export function resolveEndpoints(
  service: ServiceObject,
  slices: Iterable<EndpointSliceObject>,
  port: number,
): EndpointResolution {
  const name = `${service.metadata?.namespace}/${service.metadata?.name}`;
  const servicePort = service.spec?.ports?.find((p) => p.port === port);
  if (!servicePort) {
    const ports = (service.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none';
    return { ok: false, reason: `Service ${name} has no port ${port} (ports: ${ports})` };
  }
  const portName = servicePort.name ?? '';
  const found = new Map<string, Endpoint>();
  for (const slice of slices) {
    if ((slice.addressType ?? 'IPv4') !== 'IPv4') continue;
    const target = slice.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (target === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const ip = endpoint.addresses?.[0];
      if (!ip || !isLoopback(ip) || endpoint.conditions?.ready === false) continue;
      const ref = endpoint.targetRef;
      found.set(`${ip}:${target}`, {
        ip,
        port: target,
        pod:
          ref?.kind === 'Pod' && ref.name
            ? { namespace: ref.namespace ?? service.metadata?.namespace ?? '', name: ref.name }
            : undefined,
      });
    }
  }
  return { ok: true, endpoints: [...found.values()] };
}

/** EndpointSlices grouped by the Service they belong to, kept current from watch events. */
export class EndpointSliceIndex {
  private readonly byService = new Map<string, Map<string, EndpointSliceObject>>();
  private readonly serviceOfSlice = new Map<string, string>();

  set(slice: EndpointSliceObject): void {
    const sliceKey = `${slice.metadata?.namespace}/${slice.metadata?.name}`;
    this.delete(slice);
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service) return;
    const serviceKey = `${slice.metadata?.namespace}/${service}`;
    const slices = this.byService.get(serviceKey) ?? new Map<string, EndpointSliceObject>();
    slices.set(sliceKey, slice);
    this.byService.set(serviceKey, slices);
    this.serviceOfSlice.set(sliceKey, serviceKey);
  }

  delete(slice: EndpointSliceObject): void {
    const sliceKey = `${slice.metadata?.namespace}/${slice.metadata?.name}`;
    const serviceKey = this.serviceOfSlice.get(sliceKey);
    if (serviceKey === undefined) return;
    this.serviceOfSlice.delete(sliceKey);
    const slices = this.byService.get(serviceKey);
    slices?.delete(sliceKey);
    if (slices?.size === 0) this.byService.delete(serviceKey);
  }

  slicesOf(namespace: string, service: string): Iterable<EndpointSliceObject> {
    return this.byService.get(`${namespace}/${service}`)?.values() ?? [];
  }
}
