import { Resolver } from 'node:dns/promises';

export type LookupResult =
  | { ok: true; addresses: string[] }
  /** notFound: the name has no address (NXDOMAIN or no records); else the DNS did not answer. */
  | { ok: false; notFound: boolean; cause: string };

/** Resolves a name to its addresses, IPv4 first. */
export type Lookup = (name: string) => Promise<LookupResult>;

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * Asks the DNS servers of /etc/resolv.conf (the cluster's DNS in a pod) directly, with c-ares:
 * no hosts file, no search path, and no thread of libuv's small pool held per lookup, so a
 * flood of names cannot starve the process. The name is looked up exactly as given.
 */
export function dnsLookup(timeoutMs: number): Lookup {
  const resolver = new Resolver({ timeout: Math.ceil(timeoutMs / 2), tries: 2 });
  return async (name) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value : []),
      ...(v6.status === 'fulfilled' ? v6.value : []),
    ];
    if (addresses.length > 0) return { ok: true, addresses };
    const codes = [v4, v6].map((result) =>
      result.status === 'rejected' ? String((result.reason as { code?: string }).code) : 'ENODATA',
    );
    if (codes.every((code) => NOT_FOUND.has(code))) {
      return { ok: false, notFound: true, cause: 'no such name' };
    }
    return { ok: false, notFound: false, cause: codes.find((code) => !NOT_FOUND.has(code)) ?? '' };
  };
}
