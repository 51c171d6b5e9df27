/** The workload labels Linkerd's Prometheus configuration attaches to a pod's series. */

export interface PodObject {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; name?: string; controller?: boolean }>;
    deletionTimestamp?: string | Date;
  };
}

/**
 * The Deployment that owns a pod through its ReplicaSet: the ReplicaSet's name without the
 * `-<pod-template-hash>` suffix. Pods owned by other controllers report the owner's name;
 * bare pods report an empty name.
 */
export function deploymentOf(pod: PodObject): string {
  const owners = pod.metadata?.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller) ?? owners[0];
  if (!owner?.name) return '';
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return owner.name.slice(0, -(hash.length + 1));
  }
  return owner.name;
}
