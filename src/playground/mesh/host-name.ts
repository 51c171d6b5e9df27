/** A Service named by a request's authority. */
export interface ServiceAddress {
  service: string;
  namespace: string;
  port: number;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc` or `<svc>.<ns>.svc.<cluster-domain>` as a
 * cluster DNS name would resolve; a bare `<svc>` is in `defaultNamespace`. Returns null for
 * anything else (IP addresses, other domains), which the proxy answers with 502.
 */
export function parseServiceHost(
  hostname: string,
  port: number,
  defaultNamespace: string,
  clusterDomain = 'cluster.local',
): ServiceAddress | null {
  const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.some((label) => !dnsLabel.test(label))) return null;
  const [service, namespace, svc, ...domain] = labels;
  if (service === undefined) return null;
  if (namespace === undefined) return { service, namespace: defaultNamespace, port };
  if (svc === undefined) return { service, namespace, port };
  if (svc !== 'svc') return null;
  if (domain.length > 0 && domain.join('.') !== clusterDomain) return null;
  return { service, namespace, port };
}

/** The authority Linkerd reports for a Service: its fully qualified name and port. */
export function canonicalAuthority(address: ServiceAddress, clusterDomain = 'cluster.local') {
  return `${address.service}.${address.namespace}.svc.${clusterDomain}:${address.port}`;
}
