import type { Logger } from 'pino';
import type { Rollout } from '../api/types.js';
import type { ApiServer, KubeObject } from '../kube/api-server.js';
import { knownTypes, type ResourceType } from '../kube/resources.js';
import { httpRouteFormat } from '../routing/gateway-api.js';
import { smiFormat } from '../routing/smi.js';
import type { Deployment } from './effects/context.js';
import { WatchSet } from './watch-set.js';
import { type Caches, rolloutsReading } from './world.js';

/** The routing objects fledge writes by default, watched so drift is corrected at once. */
const routingTypes: ResourceType[] = [
  smiFormat('v1alpha2'),
  httpRouteFormat('gateway.networking.k8s.io/v1'),
  httpRouteFormat('policy.linkerd.io/v1beta3'),
].map((format) => format.type);

type ConfigObject = KubeObject & { data?: Record<string, string> };

/**
 * What the controller watches, and which Rollouts each change concerns: a Rollout itself; the
 * Rollouts whose target (or primary) a Deployment is; those whose target reads a changed
 * ConfigMap or Secret; the Rollout a routing object belongs to (same name), so drift is seen.
 */
export class ControllerWatches {
  readonly caches: Caches;
  private readonly core: WatchSet<KubeObject>[];
  private readonly all: WatchSet<KubeObject>[];

  constructor(
    api: ApiServer,
    options: { namespaces: string[]; resyncMs: number; log: Logger },
    queue: {
      enqueue: (key: string) => void;
      /** False on a follower or before the caches fill: events then need no work at all. */
      accepting: () => boolean;
    },
  ) {
    const { enqueue } = queue;
    const watch = <T extends KubeObject>(resource: ResourceType) =>
      new WatchSet<T>(api, resource, options.namespaces, {
        missingRetryMs: 10_000,
      });
    const rollouts = watch<Rollout & KubeObject>(knownTypes.rollouts);
    const deployments = watch<Deployment>(knownTypes.deployments);
    const configMaps = watch<ConfigObject>(knownTypes.configMaps);
    const secrets = watch<ConfigObject>(knownTypes.secrets);
    const routes = routingTypes.map((type) => watch<KubeObject>(type));
    this.caches = { rollouts, deployments, configMaps, secrets };
    this.core = [rollouts, deployments, configMaps, secrets] as WatchSet<KubeObject>[];
    this.all = [...this.core, ...routes];

    const byName = (object: KubeObject) =>
      enqueue(`${object.metadata?.namespace}/${object.metadata?.name}`);
    rollouts.on('add', byName).on('update', byName).on('delete', byName);
    for (const set of routes) set.on('update', byName).on('delete', byName);
    for (const [set, kind] of [
      [deployments, 'Deployment'],
      [configMaps, 'ConfigMap'],
      [secrets, 'Secret'],
    ] as const) {
      const readers = (object: KubeObject) => {
        if (!queue.accepting()) return;
        const changed = {
          kind,
          namespace: object.metadata?.namespace ?? '',
          name: object.metadata?.name ?? '',
        };
        for (const key of rolloutsReading(this.caches, changed)) enqueue(key);
      };
      (set as WatchSet<KubeObject>).on('add', readers).on('update', readers).on('delete', readers);
    }
    for (const set of this.all) {
      set.on('giveUp', (cause) => options.log.error({ err: cause }, 'a watch gave up'));
      set.on('missing', (cause) =>
        options.log.debug({ err: cause.message }, 'a resource type is not served'),
      );
    }
  }

  /** Rollouts, Deployments, ConfigMaps and Secrets are listed; routing types may never be. */
  get synced(): boolean {
    return this.core.every((set) => set.hasSynced);
  }

  start(): void {
    for (const set of this.all) set.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((set) => set.stop()));
  }
}
