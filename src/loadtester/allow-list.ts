import { BlockList, isIP } from 'node:net';

/**
 * What `--allow-host` lets through besides cluster Services. A name (`staging.example.com`) or
 * a suffix (`*.example.com`) allows that host name in a target URL; an address (`10.0.0.7`,
 * `fd00::7`) or a range (`10.0.0.0/8`) allows a target URL written with it, and also allows a
 * name to resolve to it when the address would otherwise be refused (loopback, link-local...).
 */
export interface AllowList {
  readonly entries: readonly string[];
  readonly names: ReadonlySet<string>;
  /** Each with its leading dot: `.example.com`. */
  readonly suffixes: readonly string[];
  readonly addresses: BlockList;
}

export class AllowListError extends Error {
  override name = 'AllowListError';
}

export function parseAllowList(entries: readonly string[]): AllowList {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const addresses = new BlockList();
  for (const entry of entries) {
    const text = entry.trim();
    const range = parseRange(text);
    if (range) {
      addresses.addSubnet(range.address, range.prefix, range.family);
      continue;
    }
    const address = bareAddress(text);
    if (isIP(address)) {
      addresses.addAddress(address, familyOf(address));
      continue;
    }
    const wildcard = text.startsWith('*.');
    const name = hostName(wildcard ? text.slice(2) : text);
    if (name === undefined || name.includes('*')) {
      throw new AllowListError(
        `--allow-host "${entry}" is not a host name, *.suffix, IP address or address/prefix: ` +
          'write e.g. staging.example.com, *.example.com, 10.0.0.7 or 10.0.0.0/8',
      );
    }
    if (wildcard) suffixes.push(`.${name}`);
    else names.add(name);
  }
  return { entries, names, suffixes, addresses };
}

/** `hostname` as the WHATWG URL parser gives it: lower case, IPv6 in brackets. */
export function allowsName(list: AllowList, hostname: string): boolean {
  const name = hostname.replace(/\.$/, '');
  return list.names.has(name) || list.suffixes.some((suffix) => name.endsWith(suffix));
}

export function allowsAddress(list: AllowList, address: string): boolean {
  const bare = bareAddress(address);
  const family = isIP(bare);
  if (family === 0) return false;
  return list.addresses.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** An IPv6 literal without its URL brackets; anything else unchanged. */
export function bareAddress(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6';
}

function parseRange(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return undefined;
  const address = bareAddress(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  const family = isIP(address);
  const maxPrefix = family === 4 ? 32 : 128;
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
    throw new AllowListError(
      `--allow-host "${text}" is not an address/prefix: write e.g. 10.0.0.0/8 or fd00::/8`,
    );
  }
  return { address, prefix, family: familyOf(address) };
}

/** The name as a URL would carry it (lower case, punycode), or undefined if it is not one. */
function hostName(text: string): string | undefined {
  if (text === '' || /[/?#@:\\\s]/.test(text)) return undefined;
  const parsed = URL.parse(`http://${text}/`);
  if (parsed === null || isIP(bareAddress(parsed.hostname))) return undefined;
  return parsed.hostname.replace(/\.$/, '');
}
