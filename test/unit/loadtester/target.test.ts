import { describe, expect, it } from 'vitest';
import { addressList } from '../../../src/loadtester/addresses.js';
import { parseAllowList } from '../../../src/loadtester/allow-list.js';
import type { Lookup, LookupResult } from '../../../src/loadtester/dns-lookup.js';
import { decideHost } from '../../../src/loadtester/host-policy.js';
import { resolveTarget } from '../../../src/loadtester/target.js';

const cluster = { namespace: 'fledge-system', domain: 'cluster.local' };

function fakeDns(answers: Record<string, LookupResult>) {
  const asked: string[] = [];
  const lookup: Lookup = async (name) => {
    asked.push(name);
    return answers[name] ?? { ok: false, notFound: true, cause: 'no such name' };
  };
  return { lookup, asked };
}

async function resolve(
  text: string,
  dns: ReturnType<typeof fakeDns>,
  options: { allow?: string[]; proxy?: string } = {},
) {
  const url = new URL(text);
  const allow = parseAllowList(options.allow ?? []);
  const host = decideHost(url.hostname, { allow, cluster });
  if (host.kind === 'refused') throw new Error(host.reason);
  return resolveTarget(url, host, {
    addresses: { allow, own: addressList(['10.244.1.7']) },
    proxy: options.proxy === undefined ? undefined : new URL(options.proxy),
    lookup: dns.lookup,
  });
}

const found = (...addresses: string[]): LookupResult => ({ ok: true, addresses });

describe('resolveTarget', () => {
  it("connects to the address the Service's full name resolved to, keeping the URL's Host", async () => {
    const dns = fakeDns({ 'api.production.svc.cluster.local': found('10.96.0.7') });
    const resolved = await resolve('http://api.production:8080/orders?x=1#top', dns);
    expect(dns.asked).toEqual(['api.production.svc.cluster.local']);
    expect(resolved).toEqual({
      ok: true,
      destination: {
        origin: 'http://10.96.0.7:8080',
        path: '/orders?x=1',
        host: 'api.production:8080',
        servername: 'api.production',
        address: '10.96.0.7',
      },
    });
  });

  it('connects to an IPv6 Service address in brackets, on the default port', async () => {
    const dns = fakeDns({ 'api.production.svc.cluster.local': found('fd00:10:96::7') });
    const resolved = await resolve('https://api.production/', dns);
    expect(resolved.ok && resolved.destination).toMatchObject({
      origin: 'https://[fd00:10:96::7]:443',
      host: 'api.production',
      servername: 'api.production',
    });
  });

  it('refuses a name that is no Service of the cluster, with 403', async () => {
    const dns = fakeDns({ 'example.com': found('127.0.0.1') });
    const resolved = await resolve('http://example.com/', dns);
    expect(dns.asked).toEqual(['example.com.svc.cluster.local']);
    expect(resolved).toMatchObject({ ok: false, status: 403 });
    expect(!resolved.ok && resolved.reason).toContain('no Service answers');
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['10.244.1.7', 'own pod'],
  ])('refuses a cluster name that resolves to %s (%s)', async (address, what) => {
    const dns = fakeDns({ 'admin.production.svc.cluster.local': found(address) });
    const resolved = await resolve('http://admin.production:4191/', dns);
    expect(resolved).toMatchObject({ ok: false, status: 403 });
    expect(!resolved.ok && resolved.reason).toContain(what);
  });

  it('refuses when any of the addresses is forbidden, whichever comes first', async () => {
    const dns = fakeDns({ 'api.production.svc.cluster.local': found('10.96.0.7', '127.0.0.1') });
    expect(await resolve('http://api.production/', dns)).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 503 when the DNS does not answer', async () => {
    const dns = fakeDns({
      'api.production.svc.cluster.local': { ok: false, notFound: false, cause: 'ETIMEOUT' },
    });
    const resolved = await resolve('http://api.production/', dns);
    expect(resolved).toMatchObject({ ok: false, status: 503 });
    expect(!resolved.ok && resolved.reason).toContain('ETIMEOUT');
  });

  it('resolves an allowed name as written, and still refuses where it leads to loopback', async () => {
    const dns = fakeDns({ 'staging.example.com': found('127.0.0.1') });
    const refused = await resolve('http://staging.example.com/', dns, {
      allow: ['staging.example.com'],
    });
    expect(refused).toMatchObject({ ok: false, status: 403 });
    const allowed = await resolve('http://staging.example.com/', dns, {
      allow: ['staging.example.com', '127.0.0.1'],
    });
    expect(allowed.ok && allowed.destination.origin).toBe('http://127.0.0.1:80');
  });

  it('connects to an allowed address URL without looking anything up', async () => {
    const dns = fakeDns({});
    const resolved = await resolve('http://0x7f000001:9000/x', dns, { allow: ['127.0.0.1'] });
    expect(dns.asked).toEqual([]);
    expect(resolved.ok && resolved.destination).toEqual({
      origin: 'http://127.0.0.1:9000',
      path: '/x',
      host: '127.0.0.1:9000',
      servername: undefined,
      address: '127.0.0.1',
    });
  });

  it("through the mesh proxy, sends the Service's full name and no fragment, resolving nothing", async () => {
    const dns = fakeDns({});
    const resolved = await resolve('http://api.production:8080/a?b=1#.svc', dns, {
      proxy: 'http://127.0.0.1:3128',
    });
    expect(dns.asked).toEqual([]);
    expect(resolved.ok && resolved.destination).toEqual({
      origin: 'http://127.0.0.1:3128',
      path: 'http://api.production.svc.cluster.local:8080/a?b=1',
      host: 'api.production.svc.cluster.local:8080',
      servername: undefined,
      address: undefined,
    });
  });
});
