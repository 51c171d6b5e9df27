import { isIP } from 'node:net';
import { type AddressPolicy, checkAddress } from './addresses.js';
import type { Lookup } from './dns-lookup.js';
import type { HostDecision } from './host-policy.js';

/**
 * Where a load's connections go and what its requests say. Directly, the connection goes to
 * the address that was checked, never to a name resolved again later (no DNS rebinding); the
 * Host header and TLS server name keep the name of the URL.
 */
export interface Destination {
  /** What autocannon connects to: `http://10.96.0.7:8080`, or the proxy's origin. */
  origin: string;
  /** The request target: origin-form (`/path?q`), or absolute-form through a proxy. */
  path: string;
  host: string;
  /** TLS server name when connecting to an address; undefined for an address URL. */
  servername: string | undefined;
  /** What the name resolved to, for the log; undefined through a proxy. */
  address: string | undefined;
}

export type TargetResolution =
  | { ok: true; destination: Destination }
  | { ok: false; status: 403 | 503; reason: string };

export type AllowedHost = Exclude<HostDecision, { kind: 'refused' }>;

export interface TargetDeps {
  addresses: AddressPolicy;
  /** The mesh's forward proxy: it resolves names itself, so nothing is resolved here. */
  proxy: URL | undefined;
  lookup: Lookup;
}

export async function resolveTarget(
  url: URL,
  host: AllowedHost,
  deps: TargetDeps,
): Promise<TargetResolution> {
  if (deps.proxy) return { ok: true, destination: proxiedDestination(url, host, deps.proxy) };
  if (host.kind === 'address') return pin(url, [host.address], deps.addresses);
  const found = await deps.lookup(host.name);
  if (!found.ok) {
    if (found.notFound) {
      const what =
        host.kind === 'service'
          ? `no Service answers to ${host.name} in the cluster's DNS: check the Service's name and namespace, or start the loadtester with --allow-host ${url.hostname}`
          : `${host.name} does not resolve`;
      return { ok: false, status: 403, reason: `host ${url.hostname}: ${what}` };
    }
    return {
      ok: false,
      status: 503,
      reason: `host ${url.hostname}: the DNS did not answer for ${host.name} (${found.cause}): retry`,
    };
  }
  return pin(url, found.addresses, deps.addresses);
}

/** Every address must be allowed, so that no answer order can lead elsewhere; load goes to the first. */
function pin(url: URL, addresses: readonly string[], policy: AddressPolicy): TargetResolution {
  for (const address of addresses) {
    const verdict = checkAddress(address, policy);
    if (!verdict.allowed) {
      return {
        ok: false,
        status: 403,
        reason: `host ${url.hostname} resolves to ${verdict.reason}`,
      };
    }
  }
  const [address] = addresses;
  if (address === undefined) {
    return { ok: false, status: 403, reason: `host ${url.hostname} has no address` };
  }
  return { ok: true, destination: directDestination(url, address) };
}

export function directDestination(url: URL, address: string): Destination {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const literal = isIP(address) === 6 ? `[${address}]` : address;
  const written = url.hostname.startsWith('[') || isIP(url.hostname) !== 0;
  return {
    origin: `${url.protocol}//${literal}:${port}`,
    path: `${url.pathname}${url.search}`,
    host: url.host,
    servername: written ? undefined : url.hostname.replace(/\.$/, ''),
    address,
  };
}

/**
 * Through the proxy, a cluster name goes as the Service's full name, so that the proxy, which
 * resolves it, can only reach that Service; the fragment never goes on the wire.
 */
export function proxiedDestination(url: URL, host: AllowedHost, proxy: URL): Destination {
  const target = new URL(url.href);
  target.hash = '';
  if (host.kind === 'service') target.hostname = host.name;
  return {
    origin: proxy.origin,
    path: target.href,
    host: target.host,
    servername: undefined,
    address: undefined,
  };
}
