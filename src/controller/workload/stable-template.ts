import type { V1Deployment, V1DeploymentSpec } from '@kubernetes/client-node';
import type { KubeObject, OwnerReference } from '../../kube/api-server.js';
import { digest } from '../revision.js';
import { keptFor, type RolloutIdentity, withoutMarks } from './kept.js';
import { userAnnotations, type WorkloadNames } from './objects.js';

/**
 * The stable revision's primary, kept in the cluster as a ControllerRevision (apps/v1, as
 * StatefulSets and DaemonSets keep their history) owned by the Rollout, so that a rollback
 * that finds the primary deleted can create it again. Its `data` is immutable, so a record
 * is named after a digest of what it holds: a new stable revision is a new record, and the
 * older ones are deleted.
 */
export const RECORD_ROLLOUT_UID_LABEL = 'fledge.dev/rollout-uid';
export const RECORD_DIGEST_LABEL = 'fledge.dev/stable-digest';

/** What the primary is made of, apart from its replicas (its autoscaler's, or the canary's). */
export interface StablePrimary {
  labels: Record<string, string>;
  /** Absent from records an older fledge made. */
  annotations?: Record<string, string>;
  spec: Pick<V1DeploymentSpec, 'selector' | 'template' | 'strategy' | 'minReadySeconds'>;
}

export interface StableRecord extends KubeObject {
  data: StablePrimary;
  /** Epoch ms of the recording: of several records (a deletion that failed), the newest holds. */
  revision: number;
}

/** The stable part of a primary as the API server stored it (defaults included). */
export function stablePrimaryOf(primary: V1Deployment): StablePrimary {
  const spec = primary.spec;
  return {
    labels: primary.metadata?.labels ?? {},
    // fledge's own marks are put back when a primary is made from the record (keptFor).
    annotations: withoutMarks(userAnnotations(primary.metadata?.annotations)),
    spec: {
      selector: spec?.selector ?? {},
      template: spec?.template ?? {},
      ...(spec?.strategy ? { strategy: spec.strategy } : {}),
      ...(spec?.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
    },
  };
}

/** The label selector of a Rollout's records. */
export function recordSelector(rollout: RolloutIdentity): string {
  return `${RECORD_ROLLOUT_UID_LABEL}=${rollout.metadata?.uid ?? ''}`;
}

/** The record of `primary` as the stable revision of `rollout`, owned by it. */
export function stableRecord(
  primary: V1Deployment,
  rollout: RolloutIdentity & { metadata?: { namespace?: string } },
  owner: OwnerReference,
  recordedAt: number,
): StableRecord {
  const data = stablePrimaryOf(primary);
  // With the uid: a Rollout deleted and created again under its name does not meet the
  // record of the old one that the garbage collector has not removed yet.
  const hash = digest({ rollout: rollout.metadata?.uid ?? '', data });
  // A ControllerRevision's name is a DNS subdomain of at most 253 characters.
  const base = (rollout.metadata?.name ?? '').slice(0, 200).replace(/[.-]+$/, '');
  const name = `${base}-stable-${hash}`;
  return {
    metadata: {
      name,
      namespace: rollout.metadata?.namespace,
      labels: {
        [RECORD_ROLLOUT_UID_LABEL]: rollout.metadata?.uid ?? '',
        [RECORD_DIGEST_LABEL]: hash,
      },
      ownerReferences: [owner],
    },
    data,
    revision: recordedAt,
  };
}

/** The record that holds the stable revision: the newest. */
export function newestRecord(records: StableRecord[]): StableRecord | undefined {
  return records.reduce<StableRecord | undefined>(
    (newest, record) => (newest && newest.revision >= record.revision ? newest : record),
    undefined,
  );
}

/** The primary made again from a record, kept for `rollout`, at `replicas`. */
export function primaryFromRecord(
  record: StableRecord,
  names: WorkloadNames,
  rollout: RolloutIdentity,
  replicas: number,
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: names.primary,
      namespace: names.namespace,
      labels: record.data.labels,
      annotations: { ...record.data.annotations, ...keptFor(rollout) },
    },
    spec: { ...record.data.spec, replicas } as V1DeploymentSpec,
  };
}
