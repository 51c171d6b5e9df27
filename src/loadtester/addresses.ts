import { BlockList, isIP } from 'node:net';
import { type AllowList, allowsAddress, bareAddress } from './allow-list.js';

/**
 * Where load may never go, whatever name led there: the pod itself (its loopback, where the
 * Linkerd proxy's admin port listens, and its own addresses), link-local networks, and the
 * cloud metadata services that hand out credentials. IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) count as the IPv4 address they carry.
 */
const FORBIDDEN: Array<{ what: string; ranges: Array<[string, number]> }> = [
  {
    what: 'a cloud metadata service',
    ranges: [
      ['169.254.169.254', 32],
      ['fd00:ec2::254', 128],
      ['100.100.100.200', 32],
      ['168.63.129.16', 32],
    ],
  },
  {
    what: 'a loopback address',
    ranges: [
      ['127.0.0.0', 8],
      ['::1', 128],
    ],
  },
  {
    what: 'an unspecified address (the host itself)',
    ranges: [
      ['0.0.0.0', 8],
      ['::', 128],
    ],
  },
  {
    what: 'a link-local address',
    ranges: [
      ['169.254.0.0', 16],
      ['fe80::', 10],
    ],
  },
];

const CATEGORIES = FORBIDDEN.map(({ what, ranges }) => {
  const list = new BlockList();
  for (const [address, prefix] of ranges) {
    list.addSubnet(address, prefix, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return { what, list };
});

export interface AddressPolicy {
  allow: AllowList;
  /** The pod's own addresses, from its network interfaces (see addressList). */
  own: BlockList;
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** Decides on one resolved address; `--allow-host` with that address or its range lets it through. */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const bare = bareAddress(address).toLowerCase();
  const family = isIP(bare);
  if (family === 0) return { allowed: false, reason: `"${address}" is not an IP address` };
  if (allowsAddress(policy.allow, bare)) return { allowed: true };
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const category = CATEGORIES.find(({ list }) => list.check(bare, type));
  const own = policy.own.check(bare, type) ? "an address of the loadtester's own pod" : undefined;
  const what = category?.what ?? own;
  if (what === undefined) return { allowed: true };
  return {
    allowed: false,
    reason: `${bare} is ${what}, where the loadtester never sends load; allow it explicitly with --allow-host ${bare} if you mean it`,
  };
}

/** A set of addresses that also matches their IPv4-mapped IPv6 forms. */
export function addressList(addresses: Iterable<string>): BlockList {
  const list = new BlockList();
  for (const address of addresses) {
    const bare = bareAddress(address);
    const family = isIP(bare);
    if (family !== 0) list.addAddress(bare, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}
