import type { Rollout } from '../api/types.js';
import type { ConfigKind, ConfigRef } from '../controller/reference-index.js';
import { type ConfigHash, configHash } from '../controller/revision.js';
import type { Cache } from '../controller/watch-set.js';
import { currentRevision, watchedDeployment } from '../controller/world.js';
import { type ApiServer, type KubeObject, statusCodeOf } from '../kube/api-server.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import type { RolloutObject } from './rollout-object.js';
import type { ExpectedRevision } from './wait-verdict.js';

/** A cache over objects read once, so the controller's own revision function runs on them. */
function cacheOf<T extends KubeObject>(objects: T[]): Cache<T> {
  return {
    get: (namespace, name) =>
      objects.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name),
    list: () => objects,
  };
}

/**
 * The revision the controller will compute for the target as it is now: the same function
 * over the same objects (the Deployment's pod template and the digests of the ConfigMaps and
 * Secrets it reads), so `wait` knows which revision it waits for. Unknown when the target is
 * missing or the CLI may not read one of the objects (Secrets are often off limits in CI).
 */
export async function expectedRevision(
  api: ApiServer,
  rollout: RolloutObject,
): Promise<ExpectedRevision> {
  const namespace = rollout.metadata?.namespace ?? 'default';
  const asRollout = rollout as unknown as Rollout;
  try {
    const target = rollout.spec?.targetRef
      ? await new ResourceClient(api, knownTypes.deployments).find(
          namespace,
          rollout.spec.targetRef.name ?? '',
        )
      : null;
    const deployments = target ? [watchedDeployment(target)] : [];
    const references = deployments[0]?.template.references ?? { configMaps: [], secrets: [] };
    const hashes = new Map<string, ConfigHash>();
    const read = async (kind: ConfigKind, name: string) => {
      const type = kind === 'ConfigMap' ? knownTypes.configMaps : knownTypes.secrets;
      const found = await new ResourceClient(api, type).find(namespace, name);
      hashes.set(`${kind}/${name}`, found ? configHash(found) : null);
    };
    await Promise.all([
      ...references.configMaps.map((name) => read('ConfigMap', name)),
      ...references.secrets.map((name) => read('Secret', name)),
    ]);
    const lookup = currentRevision(asRollout, {
      rollouts: cacheOf<Rollout & KubeObject>([]),
      deployments: cacheOf(deployments),
      configHash: (ref: ConfigRef) => hashes.get(`${ref.kind}/${ref.name}`),
    });
    if ('revision' in lookup) return lookup;
    return { unknown: 'missing' in lookup ? lookup.missing : lookup.pending };
  } catch (error) {
    if (statusCodeOf(error) === 403) {
      return {
        unknown: `not allowed to read the target and the ConfigMaps and Secrets it uses (${(error as Error).message})`,
      };
    }
    throw error;
  }
}
