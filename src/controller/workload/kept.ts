import type { KubeObject, OwnerReference } from '../../kube/api-server.js';

/**
 * What carries callers' traffic in workload mode (the primary Deployment and the three
 * Services routes name) is marked for its Rollout, not owned by it. Garbage collection deletes
 * a dependent once it finds every owner absent, and a kube-apiserver still starting answers
 * 404 for custom resources (kubernetes/kubernetes#104342, Kubernetes <= 1.22): an
 * ownerReference let one API server restart delete them all, an outage, or a canary failed for
 * its missing Service. The Rollout's finalizer releases them (keeps the primary and the apex
 * Service, deletes the other two once no route names them), so an owner gave them nothing.
 */
export const ROLLOUT_ANNOTATION = 'fledge.dev/rollout';
export const ROLLOUT_UID_ANNOTATION = 'fledge.dev/rollout-uid';

export interface RolloutIdentity {
  metadata?: { name?: string; uid?: string };
}

/** The annotations that mark an object as kept for `rollout`. */
export function keptFor(rollout: RolloutIdentity): Record<string, string> {
  return {
    [ROLLOUT_ANNOTATION]: rollout.metadata?.name ?? '',
    [ROLLOUT_UID_ANNOTATION]: rollout.metadata?.uid ?? '',
  };
}

/** `annotations` without the marks of `keptFor`. */
export function withoutMarks(annotations: Record<string, string>): Record<string, string> {
  const { [ROLLOUT_ANNOTATION]: _name, [ROLLOUT_UID_ANNOTATION]: _uid, ...rest } = annotations;
  return rest;
}

/** The merge patch that leaves an object kept for no Rollout (what a Rollout's end releases). */
export const notKept = {
  ownerReferences: null,
  annotations: { [ROLLOUT_ANNOTATION]: null, [ROLLOUT_UID_ANNOTATION]: null },
};

/** Whether `object` belongs to the Rollout with this uid: marked, or owned (an older fledge's). */
export function isKeptFor(object: KubeObject | null | undefined, uid: string): boolean {
  if (!object || uid === '') return false;
  if (object.metadata?.annotations?.[ROLLOUT_UID_ANNOTATION] === uid) return true;
  return object.metadata?.ownerReferences?.some((owner) => owner.uid === uid) ?? false;
}

/** The name of the Rollout `object` belongs to, marked or owned; undefined when none. */
export function rolloutOf(object: KubeObject): string | undefined {
  return (
    object.metadata?.annotations?.[ROLLOUT_ANNOTATION] ??
    object.metadata?.ownerReferences?.find((owner) => owner.kind === 'Rollout')?.name
  );
}

/**
 * The ownerReferences `object` keeps once a Rollout's is taken off (null: none left), for an
 * object an older fledge owned; undefined when no Rollout owns it.
 */
export function withoutRolloutOwner(object: KubeObject): OwnerReference[] | null | undefined {
  const owners = object.metadata?.ownerReferences ?? [];
  const others = owners.filter((owner) => owner.kind !== 'Rollout');
  if (others.length === owners.length) return undefined;
  return others.length > 0 ? others : null;
}

/**
 * The merge patch that turns an object into one kept for `rollout`: marked, and without a
 * Rollout's ownerReference. Other owners stay. Undefined when it already is.
 */
export function keptChange(
  existing: KubeObject,
  rollout: RolloutIdentity,
): { ownerReferences?: OwnerReference[] | null; annotations?: Record<string, string> } | undefined {
  const wanted = keptFor(rollout);
  const annotations = existing.metadata?.annotations ?? {};
  const unmarked = Object.entries(wanted).some(([key, value]) => annotations[key] !== value);
  const owners = withoutRolloutOwner(existing);
  if (!unmarked && owners === undefined) return undefined;
  return {
    ...(owners === undefined ? {} : { ownerReferences: owners }),
    ...(unmarked ? { annotations: wanted } : {}),
  };
}
