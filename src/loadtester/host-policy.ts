/**
 * Which hosts the loadtester may send load to. Only names that resolve inside the cluster
 * are allowed by default, so a webhook cannot turn the loadtester against the outside world
 * or against the pod's own loopback (where the Linkerd proxy's admin port listens).
 */
export type HostVerdict = { allowed: true } | { allowed: false; reason: string };

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function checkTargetHost(hostname: string, allowHosts: readonly string[]): HostVerdict {
  const host = normalise(hostname);
  if (allowHosts.some((pattern) => matchesAllowed(host, normalise(pattern)))) {
    return { allowed: true };
  }
  if (isClusterLocal(host)) return { allowed: true };
  return {
    allowed: false,
    reason:
      `host "${host}" is not a cluster-local name (<service>, <service>.<namespace>, ` +
      '*.svc or *.svc.cluster.local): target the Service by its cluster name, or start ' +
      `the loadtester with --allow-host ${host}`,
  };
}

/**
 * `<service>.<namespace>` counts as cluster-local because it is how Flagger users write
 * targets and the pod's DNS search path resolves it to the Service first.
 */
function isClusterLocal(host: string): boolean {
  if (host === 'localhost') return false;
  const labels = host.split('.');
  if (!labels.every((label) => LABEL.test(label))) return false;
  if (labels.length <= 2) return true;
  return host.endsWith('.svc') || host.endsWith('.svc.cluster.local');
}

function matchesAllowed(host: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern;
}

function normalise(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}
