import { isIP } from 'node:net';
import { type AllowList, allowsAddress, allowsName, bareAddress } from './allow-list.js';
import type { ClusterDomain } from './cluster-domain.js';

/**
 * Which host of a target URL the loadtester may send load to, decided on the host the WHATWG
 * URL parser reads (so `http://evil.com#.svc` is `evil.com`, `http://0x7f000001/` is
 * `127.0.0.1`). A cluster name is turned into the Service's full name, which is all that is
 * ever resolved: a bare or two-label name is never looked up as written, so neither the hosts
 * file (`ip6-localhost`, the pod's own hostname) nor the public DNS (`example.com`) can answer
 * it. Where the resolved addresses may go is decided after resolution (addresses.ts).
 */
export type HostDecision =
  | { kind: 'refused'; reason: string }
  /** A cluster Service, by its full name without the trailing dot. */
  | { kind: 'service'; name: string }
  /** A name `--allow-host` allows, to resolve as written. */
  | { kind: 'allowed-name'; name: string }
  /** An IP address written in the URL that `--allow-host` allows. */
  | { kind: 'address'; address: string };

export interface HostPolicy {
  allow: AllowList;
  cluster: ClusterDomain;
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL = 63;

/** `hostname` is `URL.hostname`: lower case, IPv4 normalised, IPv6 in brackets. */
export function decideHost(hostname: string, policy: HostPolicy): HostDecision {
  const host = hostname.replace(/\.$/, '');
  const address = bareAddress(host);
  if (isIP(address)) {
    if (allowsAddress(policy.allow, address)) return { kind: 'address', address };
    return {
      kind: 'refused',
      reason:
        `host ${hostname} is an IP address: target the Service by its cluster name ` +
        `(http://<service>.<namespace>:<port>/), or start the loadtester with --allow-host ${address}`,
    };
  }
  if (allowsName(policy.allow, host)) return { kind: 'allowed-name', name: host };
  const name = serviceName(host, policy.cluster);
  if (name) return { kind: 'service', name };
  return {
    kind: 'refused',
    reason:
      `host ${hostname} is not a cluster Service name (<service>, <service>.<namespace>, ` +
      `<service>.<namespace>.svc or <service>.<namespace>.svc.${policy.cluster.domain}): ` +
      `target the Service by its cluster name, or start the loadtester with --allow-host ${host}`,
  };
}

/**
 * The full name of the Service a cluster name means, as the pod's DNS search path reads it:
 * `<svc>` in the loadtester's namespace, `<svc>.<ns>`, `<svc>.<ns>.svc`, and
 * `[<pod>.]<svc>.<ns>.svc.<domain>` (a StatefulSet pod behind a headless Service).
 */
export function serviceName(host: string, cluster: ClusterDomain): string | undefined {
  const labels = host.split('.');
  if (!labels.every((label) => label.length <= MAX_LABEL && LABEL.test(label))) return undefined;
  const full = (...parts: string[]) => [...parts, 'svc', cluster.domain].join('.');
  const [first, second, third] = labels;
  if (first === undefined) return undefined;
  if (labels.length === 1) return full(first, cluster.namespace);
  if (second === undefined) return undefined;
  if (labels.length === 2) return full(first, second);
  if (labels.length === 3) return third === 'svc' ? full(first, second) : undefined;
  const suffix = `.svc.${cluster.domain}`;
  if (!host.endsWith(suffix)) return undefined;
  const prefix = host.slice(0, -suffix.length).split('.');
  return prefix.length === 2 || prefix.length === 3 ? host : undefined;
}
