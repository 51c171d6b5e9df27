import { createHash } from 'node:crypto';
import type {
  V1ContainerPort,
  V1Deployment,
  V1PodTemplateSpec,
  V1Service,
  V1ServicePort,
} from '@kubernetes/client-node';
import type { Rollout } from '../api/types.js';
import type { KubeObject } from '../kube/api-server.js';
import { jsonEqual } from '../kube/patch.js';
import type { ConfigRef } from './reference-index.js';
import {
  type ConfigHash,
  type ConfigReferences,
  referencedConfigs,
  revisionOf,
  templateRevision,
} from './revision.js';
import type { Cache } from './watch-set.js';
import { rolloutOf, withoutRolloutOwner } from './workload/kept.js';
import { namesOf } from './workload/objects.js';
import { serviceChange, serviceSettingsOf, workloadServices } from './workload/services.js';

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
  /** What the Rollout's Services are made of: the selector and, for portDiscovery, the ports. */
  serving: {
    selector: Record<string, string>;
    containers: { name: string; ports?: V1ContainerPort[] }[];
  };
  spec: { replicas?: number };
  /** It carries a Rollout's ownerReference: an older fledge's primary, to be marked (kept.ts). */
  rolloutOwned?: true;
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
    serving: {
      selector: (spec as V1Deployment['spec'])?.selector?.matchLabels ?? {},
      containers: (template.spec?.containers ?? []).map(({ name, ports }) => ({
        name,
        ...(ports ? { ports } : {}),
      })),
    },
    spec: { replicas: spec.replicas },
    ...(withoutRolloutOwner(object) === undefined ? {} : { rolloutOwned: true }),
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

/**
 * Whether what a Rollout decides on changed between two copies of its Deployment: the
 * template's revision and the ConfigMaps and Secrets it reads, or what its Services are made
 * of; not replicas or readiness.
 */
export function madeOfChanged(before: WatchedDeployment, after: WatchedDeployment): boolean {
  return !jsonEqual(before.template, after.template) || !jsonEqual(before.serving, after.serving);
}

/**
 * What the controller keeps of a Service it manages: what `serviceChange` compares (labels,
 * annotations, selector, ports) and the Rollout that owns it, so a change wakes that Rollout.
 */
/** The metadata a projected watch cache keeps: identity, version, labels and annotations. */
export interface ProjectedMetadata {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface WatchedService extends KubeObject {
  metadata: ProjectedMetadata;
  /** The name of the Rollout it belongs to (owned or kept), if any. */
  rollout?: string;
  spec: { selector?: Record<string, string>; ports?: V1ServicePort[] };
}

export function watchedService(object: KubeObject): WatchedService {
  const { name, namespace, resourceVersion, labels, annotations } = object.metadata ?? {};
  const spec = ((object as V1Service).spec ?? {}) as NonNullable<V1Service['spec']>;
  const rollout = rolloutOf(object);
  return {
    metadata: {
      name,
      namespace,
      resourceVersion,
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
    ...(rollout ? { rollout } : {}),
    spec: {
      ...(spec.selector ? { selector: spec.selector } : {}),
      ...(spec.ports ? { ports: spec.ports } : {}),
    },
  };
}

/** The watch caches (and digests) the controller reads instead of asking the API server. */
export interface Caches {
  rollouts: Cache<Rollout & KubeObject>;
  deployments: Cache<WatchedDeployment>;
  /** The Services fledge manages (labelled so), once listed; absent: read them instead. */
  services?: Cache<WatchedService>;
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

/**
 * Whether the watch caches show a workload-mode Rollout's three Services as it wants them, so
 * a resting reconcile (and a restore) neither reads nor writes them; undefined when the caches
 * cannot tell (no Services cache, or the target is not cached), and the Services are read.
 */
export function servicesInSync(rollout: Rollout, caches: Caches): boolean | undefined {
  const services = caches.services;
  if (!services || !rollout.spec.targetRef) return undefined;
  const names = namesOf(rollout);
  const target = caches.deployments.get(names.namespace, names.target);
  if (!target) return undefined;
  const source = {
    spec: {
      selector: { matchLabels: target.serving.selector },
      template: { spec: { containers: target.serving.containers } },
    },
  } as V1Deployment;
  const settings = serviceSettingsOf(rollout.spec.service);
  const { services: desired } = workloadServices(source, names, settings, rollout);
  return desired.every((service) => {
    const cached = services.get(names.namespace, service.metadata?.name ?? '');
    return cached !== undefined && serviceChange(cached as V1Service, service) === undefined;
  });
}
