import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { metricValue, post, serversAfterEach, webhook } from './harness.js';
import { fakeDns } from './servers.js';

const { loadtester, target } = serversAfterEach();

const SERVICE = 'api.production.svc.cluster.local';

function blockingLoad(url: string) {
  return webhook({ type: 'autocannon', url, rps: '20', duration: '1s', blocking: 'true' });
}

describe('fledge loadtester: where load goes', () => {
  it("sends load to the address the Service's full name resolved to, with the URL's Host", async () => {
    const t = await target();
    const dns = fakeDns({ [SERVICE]: ['127.0.0.1'] });
    const lt = await loadtester({ allowHosts: ['127.0.0.1'], lookup: dns.lookup });
    const { status, body } = await post(lt, '/', blockingLoad(`http://api.production:${t.port}/x`));
    expect(status).toBe(200);
    expect(body.summary).toMatchObject({ requests: 20, failed: 0 });
    expect(dns.asked).toEqual([SERVICE]);
    expect(t.seen[0]?.headers.host).toBe(`api.production:${t.port}`);
    expect(t.seen[0]?.url).toBe('/x');
  });

  it('resolves once per run and keeps connecting to that address, however the DNS answers later', async () => {
    const t = await target({ closeEach: true });
    // A rebinding DNS: a harmless address first, the metadata service for every later lookup.
    const dns = fakeDns((name, times) =>
      name === SERVICE ? [times === 1 ? '127.0.0.1' : '169.254.169.254'] : undefined,
    );
    const lt = await loadtester({ allowHosts: ['127.0.0.1'], lookup: dns.lookup });
    // Two connections, each closed by the target after every answer: a reconnect per request.
    const url = `http://api.production:${t.port}/`;
    const metadata = { type: 'autocannon', url, rps: '10', connections: '2', duration: '2s' };
    const { status, body } = await post(lt, '/', webhook({ ...metadata, blocking: 'true' }));
    expect(status).toBe(200);
    expect(body.summary.failed).toBe(0);
    expect(body.summary.requests).toBe(t.count());
    expect(t.connections()).toBeGreaterThan(4);
    expect(dns.asked).toEqual([SERVICE]);
  });

  // What an attacker's DNS answers for these names (localtest.me really is 127.0.0.1 in the
  // public DNS); none of them is a Service, so none is ever looked up as written.
  const hostile = fakeDns({
    'example.com': ['127.0.0.1'],
    'localtest.me': ['127.0.0.1'],
    'evil.com': ['127.0.0.1'],
    'ip6-localhost': ['::1'],
    [hostname().toLowerCase()]: ['127.0.0.1'],
  });

  it.each([
    'http://example.com:PORT/',
    'http://localtest.me:PORT/',
    'http://evil.com:PORT#.svc',
    'http://evil.com:PORT?.svc',
    'http://evil.com:PORT\\@a.svc/',
    'http://ip6-localhost:PORT/',
    `http://${hostname().toLowerCase()}:PORT/`,
    'http://0x7f000001:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
  ])('refuses %s with 403 and starts no load', async (spelling) => {
    const t = await target();
    const lt = await loadtester({ allowHosts: [], lookup: hostile.lookup });
    const url = spelling.replace('PORT', String(t.port));
    const { status, body } = await post(lt, '/', blockingLoad(url));
    expect(status).toBe(403);
    expect(body.field).toBe('metadata.url');
    expect(body.error).toContain('--allow-host');
    expect(await metricValue(lt, 'fledge_loadtester_runs_started_total{mode="blocking"}')).toBe(0);
    expect(t.count()).toBe(0);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['10.244.1.7', 'own pod'],
  ])(
    'refuses a Service whose name resolves to %s (%s), after resolution',
    async (address, what) => {
      const dns = fakeDns({ [SERVICE]: [address] });
      const lt = await loadtester({
        allowHosts: [],
        lookup: dns.lookup,
        ownAddresses: ['10.244.1.7'],
      });
      const { status, body } = await post(lt, '/', blockingLoad('http://api.production:4191/'));
      expect(status).toBe(403);
      expect(body.error).toContain(what);
      expect(dns.asked).toEqual([SERVICE]);
    },
  );
});
