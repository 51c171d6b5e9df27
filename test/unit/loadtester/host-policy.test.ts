import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseAllowList } from '../../../src/loadtester/allow-list.js';
import { decideHost } from '../../../src/loadtester/host-policy.js';

const cluster = { namespace: 'fledge-system', domain: 'cluster.local' };

/** The decision on a target URL as the loadtester reads it: through the WHATWG URL parser. */
function decide(url: string, allow: string[] = [], domain = cluster) {
  return decideHost(new URL(url).hostname, { allow: parseAllowList(allow), cluster: domain });
}

describe('decideHost', () => {
  it.each([
    ['http://api/', 'api.fledge-system.svc.cluster.local'],
    [
      'http://api-service-canary.production:8080/',
      'api-service-canary.production.svc.cluster.local',
    ],
    ['http://api.production.svc/', 'api.production.svc.cluster.local'],
    ['http://api.production.svc.cluster.local/', 'api.production.svc.cluster.local'],
    ['http://API.Production.SVC.cluster.local./', 'api.production.svc.cluster.local'],
    ['http://web-0.web.production.svc.cluster.local/', 'web-0.web.production.svc.cluster.local'],
  ])('reads the cluster name in %s as the Service %s', (url, name) => {
    expect(decide(url)).toEqual({ kind: 'service', name });
  });

  // Each of these got load before: every two-label name and every single label counted as
  // cluster-local and was resolved as written, through the hosts file and the public DNS.
  it.each([
    ['http://example.com/', 'example.com.svc.cluster.local'],
    ['http://localtest.me:4191/', 'localtest.me.svc.cluster.local'],
    ['http://evil.com#.svc', 'evil.com.svc.cluster.local'],
    ['http://evil.com?.svc', 'evil.com.svc.cluster.local'],
    ['http://evil.com\\@a.svc/', 'evil.com.svc.cluster.local'],
    ['http://ip6-localhost:4191/', 'ip6-localhost.fledge-system.svc.cluster.local'],
    ['http://localhost./', 'localhost.fledge-system.svc.cluster.local'],
  ])('never resolves %s as written, only as the cluster name %s', (url, name) => {
    expect(decide(url)).toEqual({ kind: 'service', name });
  });

  it("never resolves the pod's own hostname from the hosts file", () => {
    const own = hostname().toLowerCase();
    const decision = decide(`http://${own}:4191/`);
    const asCluster = decision.kind === 'service' && decision.name.endsWith('.svc.cluster.local');
    expect(asCluster || decision.kind === 'refused').toBe(true);
  });

  it.each([
    'http://127.0.0.1/',
    'http://0x7f000001/',
    'http://127.1/',
    'http://2130706433/',
    'http://0/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://10.0.0.1/',
  ])('refuses the IP address in %s and names the --allow-host fix', (url) => {
    const decision = decide(url);
    expect(decision.kind).toBe('refused');
    expect(decision.kind === 'refused' && decision.reason).toMatch(/IP address.*--allow-host/);
  });

  it.each([
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://api.production.svc.cluster.local.evil.com/',
    'http://svc.evil.com/',
    'http://a.svc.cluster.local/',
    'http://api.production.svc.other.domain/',
    'http://a.b.c.d/',
    'http://under_score/',
  ])('refuses %s, which is no cluster Service name', (url) => {
    const decision = decide(url);
    expect(decision.kind).toBe('refused');
    expect(decision.kind === 'refused' && decision.reason).toContain('--allow-host');
  });

  it("follows the cluster's own domain", () => {
    const domain = { namespace: 'team-a', domain: 'k8s.example' };
    expect(decide('http://api/', [], domain)).toEqual({
      kind: 'service',
      name: 'api.team-a.svc.k8s.example',
    });
    expect(decide('http://api.production.svc.cluster.local/', [], domain).kind).toBe('refused');
  });

  it('lets --allow-host through: names as written, addresses in any spelling', () => {
    expect(decide('http://Staging.Example.com/', ['staging.example.com'])).toEqual({
      kind: 'allowed-name',
      name: 'staging.example.com',
    });
    expect(decide('http://a.b.example.com/', ['*.example.com']).kind).toBe('allowed-name');
    expect(decide('http://example.com/', ['*.example.com']).kind).toBe('service');
    expect(decide('http://0x7f000001/', ['127.0.0.1'])).toEqual({
      kind: 'address',
      address: '127.0.0.1',
    });
    expect(decide('http://10.1.2.3/', ['10.0.0.0/8'])).toEqual({
      kind: 'address',
      address: '10.1.2.3',
    });
    expect(decide('http://[::1]:8080/', ['::1'])).toEqual({ kind: 'address', address: '::1' });
  });
});
