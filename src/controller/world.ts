import { createHash } from 'node:crypto';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Rollout } from '../api/types.js';
import type { KubeObject } from '../kube/api-server.js';
import { namesOf } from './effects/workload.js';
import type { ConfigRef } from './reference-index.js';
import {
  type ConfigHash,
  type ConfigReferences,
  referencedConfigs,
  revisionOf,
  templateRevision,
} from './revision.js';
import type { Cache } from './watch-set.js';

/**
 * What the controller keeps of a Deployment: its name, what its revision is made of (the pod
 * template's own revision and the ConfigMaps and Secrets it reads), and the few numbers
 * `deploymentReadiness` reads, so a wait for readiness wakes on a watch event instead of
 * polling. Nothing else of it is kept, so a cluster of large pod templates costs a few hundred
 * bytes per Deployment.
 */
export interface WatchedDeployment extends KubeObject {
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
  };
  template: { revision: string; references: ConfigReferences };
  spec: { replicas?: number };
  status: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    /** The Progressing condition only: its reason says when the progress deadline passed. */
    conditions?: { type: string; status: string; reason?: string }[];
  };
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  conditions?: { type?: string; status?: string; reason?: string }[];
}

export function watchedDeployment(object: KubeObject): WatchedDeployment {
  const { name, namespace, uid, resourceVersion, generation } = object.metadata ?? {};
  const spec = (object.spec ?? {}) as { template?: unknown; replicas?: number };
  const template = (spec.template ?? {}) as V1PodTemplateSpec;
  const status = ((object as { status?: unknown }).status ?? {}) as DeploymentStatus;
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  return {
    metadata: { name, namespace, uid, resourceVersion, generation },
    template: { revision: templateRevision(template), references: referencedConfigs(template) },
    spec: { replicas: spec.replicas },
    status: {
      observedGeneration: status.observedGeneration,
      replicas: status.replicas,
      updatedReplicas: status.updatedReplicas,
      availableReplicas: status.availableReplicas,
      ...(progressing
        ? {
            conditions: [
              { type: 'Progressing', status: progressing.status ?? '', reason: progressing.reason },
            ],
          }
        : {}),
    },
  };
}

/** The watch caches (and digests) the controller reads instead of asking the API server. */
export interface Caches {
  rollouts: Cache<Rollout & KubeObject>;
  deployments: Cache<WatchedDeployment>;
  /** A referenced ConfigMap's or Secret's digest (null: absent); undefined until it is read. */
  configHash(ref: ConfigRef): ConfigHash | undefined;
}

export type RevisionLookup =
  | { revision: string }
  | { missing: string }
  /** A ConfigMap or Secret it reads has not been read yet: asked again once it has. */
  | { pending: string };

/**
 * What the canary runs now. Workload mode: the target's pod template with the digests of the
 * ConfigMaps and Secrets it reads. Backend mode: the two backends.
 */
export function currentRevision(rollout: Rollout, caches: Caches): RevisionLookup {
  const namespace = rollout.metadata.namespace ?? 'default';
  if (!rollout.spec.targetRef) {
    const hash = createHash('sha256').update(JSON.stringify(rollout.spec.backends ?? {}));
    return { revision: hash.digest('hex').slice(0, 16) };
  }
  const { target } = namesOf(rollout);
  const deployment = caches.deployments.get(namespace, target);
  if (!deployment) {
    return {
      missing: `target Deployment ${namespace}/${target} (spec.targetRef.name) does not exist; create it or fix spec.targetRef`,
    };
  }
  const { revision, references } = deployment.template;
  const hashes = { configMaps: {} as Record<string, ConfigHash>, secrets: {} };
  for (const [kind, names, into] of [
    ['ConfigMap', references.configMaps, hashes.configMaps],
    ['Secret', references.secrets, hashes.secrets],
  ] as const) {
    for (const name of names) {
      const hash = caches.configHash({ kind, namespace, name });
      if (hash === undefined) {
        return { pending: `${kind} ${namespace}/${name}, which the target reads, is being read` };
      }
      (into as Record<string, ConfigHash>)[name] = hash;
    }
  }
  return { revision: revisionOf(revision, references, hashes) };
}
