import { createHash } from 'node:crypto';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Rollout } from '../api/types.js';
import type { KubeObject } from '../kube/api-server.js';
import type { Deployment } from './effects/context.js';
import { namesOf } from './effects/workload.js';
import { type ConfigData, computeRevision, referencedConfigs } from './revision.js';
import type { Cache } from './watch-set.js';

/** The watch caches the controller reads instead of asking the API server. */
export interface Caches {
  rollouts: Cache<Rollout & KubeObject>;
  deployments: Cache<Deployment>;
  configMaps: Cache<KubeObject & { data?: Record<string, string> }>;
  secrets: Cache<KubeObject & { data?: Record<string, string> }>;
}

export type RevisionLookup = { revision: string } | { missing: string };

/**
 * What the canary runs now. Workload mode: the target's pod template with the data of the
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
  const template = (deployment.spec?.template ?? {}) as V1PodTemplateSpec;
  const references = referencedConfigs(template);
  const dataOf = (cache: Caches['configMaps'], names: string[]) =>
    Object.fromEntries(
      names.map((name): [string, ConfigData] => [
        name,
        cache.get(namespace, name)?.data ?? undefined,
      ]),
    );
  return {
    revision: computeRevision(
      template,
      dataOf(caches.configMaps, references.configMaps),
      dataOf(caches.secrets, references.secrets),
    ),
  };
}

/** The Rollouts a change of a Deployment, ConfigMap or Secret may concern, as queue keys. */
export function rolloutsReading(
  caches: Caches,
  changed: { kind: 'Deployment' | 'ConfigMap' | 'Secret'; namespace: string; name: string },
): string[] {
  const keys: string[] = [];
  for (const rollout of caches.rollouts.list()) {
    const namespace = rollout.metadata.namespace ?? 'default';
    if (namespace !== changed.namespace || !rollout.spec?.targetRef) continue;
    const names = namesOf(rollout);
    const key = `${namespace}/${rollout.metadata.name}`;
    if (changed.kind === 'Deployment') {
      if (changed.name === names.target || changed.name === names.primary) keys.push(key);
      continue;
    }
    const target = caches.deployments.get(namespace, names.target);
    if (!target) continue;
    const references = referencedConfigs((target.spec?.template ?? {}) as V1PodTemplateSpec);
    const list = changed.kind === 'ConfigMap' ? references.configMaps : references.secrets;
    if (list.includes(changed.name)) keys.push(key);
  }
  return keys;
}
