import { readFileSync } from 'node:fs';

/** Where the loadtester runs in the cluster's DNS: its own namespace and the cluster domain. */
export interface ClusterDomain {
  namespace: string;
  domain: string;
}

/** Outside a pod (the playground, a laptop): Kubernetes' defaults. */
export const DEFAULT_CLUSTER_DOMAIN: ClusterDomain = {
  namespace: 'default',
  domain: 'cluster.local',
};

/**
 * The kubelet writes a pod's search path as `<namespace>.svc.<domain> svc.<domain> <domain>`,
 * so its first entry names both the pod's namespace and the cluster domain.
 */
export function clusterDomainFromResolvConf(text: string): ClusterDomain {
  for (const line of text.split('\n')) {
    const [keyword, ...domains] = line.trim().split(/\s+/);
    if (keyword !== 'search') continue;
    for (const domain of domains) {
      const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\.([a-z0-9.-]+?)\.?$/.exec(
        domain.toLowerCase(),
      );
      if (match?.[1] && match[3]) return { namespace: match[1], domain: match[3] };
    }
  }
  return DEFAULT_CLUSTER_DOMAIN;
}

export function readClusterDomain(path = '/etc/resolv.conf'): ClusterDomain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return DEFAULT_CLUSTER_DOMAIN;
  }
  return clusterDomainFromResolvConf(text);
}
