import { stringify } from 'yaml';

export interface KubeconfigCluster {
  /** Names the cluster, the user and the context alike. */
  name: string;
  server: string;
  token: string;
}

/**
 * A kubeconfig with one context per cluster, named after it. The API servers serve a
 * self-signed certificate they generate at start, hence insecure-skip-tls-verify; they only
 * listen on 127.0.0.1.
 */
export function renderKubeconfig(clusters: KubeconfigCluster[], currentContext?: string): string {
  const first = clusters[0];
  if (!first) throw new Error('a kubeconfig needs at least one cluster');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({
      name: c.name,
      cluster: { server: c.server, 'insecure-skip-tls-verify': true },
    })),
    users: clusters.map((c) => ({ name: c.name, user: { token: c.token } })),
    contexts: clusters.map((c) => ({
      name: c.name,
      context: { cluster: c.name, user: c.name, namespace: 'default' },
    })),
    'current-context': currentContext ?? first.name,
    preferences: {},
  });
}
