import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Rollout } from '../api/types.js';
import type { Deployment } from '../controller/effects/context.js';
import { referencedConfigs } from '../controller/revision.js';
import type { Cache } from '../controller/watch-set.js';
import { type Caches, currentRevision } from '../controller/world.js';
import { type ApiServer, type KubeObject, statusCodeOf } from '../kube/api-server.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import type { RolloutObject } from './rollout-object.js';
import type { ExpectedRevision } from './wait-verdict.js';

type WithData = KubeObject & { data?: Record<string, string> };

/** A cache over objects read once, so the controller's own revision function runs on them. */
function cacheOf<T extends KubeObject>(objects: T[]): Cache<T> {
  return {
    get: (namespace, name) =>
      objects.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name),
    list: () => objects,
  };
}

async function readAll(
  client: ResourceClient<WithData>,
  namespace: string,
  names: string[],
): Promise<WithData[]> {
  const found = await Promise.all(names.map((name) => client.find(namespace, name)));
  return found.filter((o): o is WithData => o !== null);
}

/**
 * The revision the controller will compute for the target as it is now: the same function
 * over the same objects (the Deployment's pod template and the ConfigMaps and Secrets it
 * reads), so `wait` knows which revision it waits for. Unknown when the target is missing or
 * the CLI may not read one of the objects (Secrets are often off limits in CI).
 */
export async function expectedRevision(
  api: ApiServer,
  rollout: RolloutObject,
): Promise<ExpectedRevision> {
  const namespace = rollout.metadata?.namespace ?? 'default';
  const asRollout = rollout as unknown as Rollout;
  try {
    const deployments = rollout.spec?.targetRef
      ? await readAll(new ResourceClient<WithData>(api, knownTypes.deployments), namespace, [
          rollout.spec.targetRef.name ?? '',
        ])
      : [];
    const template = (deployments[0]?.spec as { template?: V1PodTemplateSpec } | undefined)
      ?.template;
    const references = referencedConfigs(template ?? {});
    const [configMaps, secrets] = await Promise.all([
      readAll(
        new ResourceClient<WithData>(api, knownTypes.configMaps),
        namespace,
        references.configMaps,
      ),
      readAll(new ResourceClient<WithData>(api, knownTypes.secrets), namespace, references.secrets),
    ]);
    const caches: Caches = {
      rollouts: cacheOf<Rollout & KubeObject>([]),
      deployments: cacheOf(deployments as Deployment[]),
      configMaps: cacheOf(configMaps),
      secrets: cacheOf(secrets),
    };
    const lookup = currentRevision(asRollout, caches);
    return 'revision' in lookup ? lookup : { unknown: lookup.missing };
  } catch (error) {
    if (statusCodeOf(error) === 403) {
      return {
        unknown: `not allowed to read the target and the ConfigMaps and Secrets it uses (${(error as Error).message})`,
      };
    }
    throw error;
  }
}
