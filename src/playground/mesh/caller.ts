import type { Workload } from './proxy-metrics.js';

/** Header a caller sets to be counted as `<namespace>/<deployment>[/<pod>]` in outbound series. */
export const CLIENT_HEADER = 'l5d-client';
/** Header giving the namespace of a bare `<svc>` host name; without it, `default`. */
export const NAMESPACE_HEADER = 'l5d-dst-namespace';
/** Who sends a request that carries no client header: tests, people with curl, tools. */
export const DEFAULT_CALLER: Workload = {
  namespace: 'fledge-system',
  deployment: 'mesh-client',
  pod: 'mesh-client',
};

export function parseCaller(header: string | string[] | undefined): Workload {
  const value = Array.isArray(header) ? header[0] : header;
  const [namespace, deployment, pod] = (value ?? '').split('/').map((part) => part.trim());
  if (!namespace || !deployment) return DEFAULT_CALLER;
  return { namespace, deployment, pod: pod || deployment };
}
