import { describe, expect, it } from 'vitest';
import {
  clusterDomainFromResolvConf,
  DEFAULT_CLUSTER_DOMAIN,
} from '../../../src/loadtester/cluster-domain.js';

describe('clusterDomainFromResolvConf', () => {
  it("reads the pod's namespace and the cluster domain from the kubelet's search path", () => {
    const text = [
      'search fledge-system.svc.cluster.local svc.cluster.local cluster.local',
      'nameserver 10.96.0.10',
      'options ndots:5',
    ].join('\n');
    expect(clusterDomainFromResolvConf(text)).toEqual({
      namespace: 'fledge-system',
      domain: 'cluster.local',
    });
  });

  it('follows a custom cluster domain', () => {
    const text =
      'search ops.svc.k8s.example.org. svc.k8s.example.org k8s.example.org corp.example\n';
    expect(clusterDomainFromResolvConf(text)).toEqual({
      namespace: 'ops',
      domain: 'k8s.example.org',
    });
  });

  it("falls back to Kubernetes' defaults outside a pod", () => {
    expect(clusterDomainFromResolvConf('nameserver 1.1.1.1\nsearch corp.example\n')).toEqual(
      DEFAULT_CLUSTER_DOMAIN,
    );
    expect(DEFAULT_CLUSTER_DOMAIN).toEqual({ namespace: 'default', domain: 'cluster.local' });
  });
});
