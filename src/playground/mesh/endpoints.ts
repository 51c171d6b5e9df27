/** Where a Service's traffic can go: the ready addresses of its Endpoints for one port. */

export interface ServiceObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { ports?: Array<{ name?: string; port?: number }> };
}

export interface EndpointsObject {
  metadata?: { name?: string; namespace?: string };
  subsets?: Array<{
    addresses?: Array<{
      ip?: string;
      targetRef?: { kind?: string; name?: string; namespace?: string };
    }>;
    ports?: Array<{ name?: string; port?: number }>;
  }>;
}

export interface Endpoint {
  ip: string;
  port: number;
  /** The serving pod, when the address belongs to one. */
  pod?: { namespace: string; name: string };
}

export type EndpointResolution =
  | { ok: true; endpoints: Endpoint[] }
  | { ok: false; reason: string };

/**
 * The ready endpoints of `service` for its port `port`. Endpoints name their ports after
 * the Service's, so the target port is found by name, as kube-proxy does.
 */
export function resolveEndpoints(
  service: ServiceObject,
  endpoints: EndpointsObject | undefined,
  port: number,
): EndpointResolution {
  const name = `${service.metadata?.namespace}/${service.metadata?.name}`;
  const servicePort = service.spec?.ports?.find((p) => p.port === port);
  if (!servicePort) {
    const ports = (service.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none';
    return { ok: false, reason: `Service ${name} has no port ${port} (ports: ${ports})` };
  }
  const portName = servicePort.name ?? '';
  const found: Endpoint[] = [];
  for (const subset of endpoints?.subsets ?? []) {
    const target = subset.ports?.find((p) => (p.name ?? '') === portName)?.port;
    if (target === undefined) continue;
    for (const address of subset.addresses ?? []) {
      if (!address.ip) continue;
      const ref = address.targetRef;
      found.push({
        ip: address.ip,
        port: target,
        pod:
          ref?.kind === 'Pod' && ref.name
            ? { namespace: ref.namespace ?? service.metadata?.namespace ?? '', name: ref.name }
            : undefined,
      });
    }
  }
  return { ok: true, endpoints: found };
}
