import type { Logger } from 'pino';
import type { Rollout } from '../api/types.js';
import type { ApiServer, KubeObject } from '../kube/api-server.js';
import { isNotFound } from '../kube/api-server.js';
import { describeType, knownTypes, ResourceClient, type ResourceType } from '../kube/resources.js';
import type { WatcherOptions } from '../kube/watcher.js';
import { gatewayRouteFormat } from '../routing/gateway-api.js';
import { type RoutingSpec, supportedRouting } from '../routing/index.js';
import { smiFormat } from '../routing/smi.js';
import { AutoscalerWatch } from './autoscaler-watch.js';
import { ConfigHashes } from './config-hashes.js';
import { DeploymentReadinessWatch } from './deployment-readiness-watch.js';
import {
  type ConfigKind,
  type ConfigRef,
  ReferenceIndex,
  type RolloutWorkload,
} from './reference-index.js';
import { configHash } from './revision.js';
import type { Cache } from './watch-set.js';
import { WatchSet } from './watch-set.js';
import { Autoscalers } from './workload/autoscalers.js';
import { MANAGED_LABEL } from './workload/services.js';
import {
  autoscalerChanged,
  type WatchedAutoscaler,
  watchedAutoscaler,
} from './workload/watched-autoscaler.js';
import {
  type Caches,
  madeOfChanged,
  type WatchedDeployment,
  type WatchedService,
  watchedDeployment,
  watchedService,
} from './world.js';

/** The routing objects fledge writes by default, watched so drift is corrected at once. */
export const routingTypes: ResourceType[] = [
  smiFormat('v1alpha2'),
  gatewayRouteFormat('HTTPRoute', 'gateway.networking.k8s.io/v1'),
  gatewayRouteFormat('HTTPRoute', 'policy.linkerd.io/v1beta3'),
  gatewayRouteFormat('GRPCRoute', 'gateway.networking.k8s.io/v1'),
].map((format) => format.type);

/** Why a watch was opened again after its first list (fledge_watch_restarts_total's reason). */
export type WatchRestart = 'reconnect' | 'idle' | 'relist';

/** The Deployments and autoscaler a Rollout reads, from its spec as stored (valid or not). */
function workloadOf(rollout: Rollout & KubeObject): RolloutWorkload | null {
  const spec = rollout.spec as Partial<Rollout['spec']> | undefined;
  if (!spec?.targetRef) return null;
  const target = spec.targetRef.name ?? rollout.metadata?.name ?? '';
  const autoscaler = spec.autoscalerRef?.name;
  return {
    namespace: rollout.metadata?.namespace ?? '',
    target,
    primary: `${target}-primary`,
    ...(autoscaler ? { autoscaler } : {}),
  };
}

const keyOf = (object: KubeObject) => `${object.metadata?.namespace}/${object.metadata?.name}`;

/**
 * What the controller watches, and which Rollouts each change concerns: a Rollout itself; the
 * Rollouts whose target (or primary) a Deployment is; those whose target reads a changed
 * ConfigMap or Secret; the Rollout a routing object belongs to (same name) and the one that
 * owns a Service fledge manages (labelled `fledge.dev/managed`), so drift is seen; the
 * Rollouts whose spec.autoscalerRef names a changed HorizontalPodAutoscaler, or whose
 * primary's copy of it it is.
 *
 * ConfigMaps and Secrets are watched as metadata only (names and resourceVersions): one that a
 * target reads is then read with a GET and only its digest is kept (ConfigHashes). Deployments
 * are kept as what their revision is made of and their readiness (WatchedDeployment),
 * autoscalers as what the primary's copy is made of (WatchedAutoscaler). No watch re-lists on
 * a timer: the controller's resync replays the cache.
 */
export class ControllerWatches {
  readonly caches: Caches;
  readonly index: ReferenceIndex;
  readonly hashes: ConfigHashes;
  /** Waits for a Deployment's readiness on this watch's events. */
  readonly readiness: DeploymentReadinessWatch;
  /** Routing objects by type (`describeType`), for drift checks without a read. */
  private readonly routes = new Map<string, WatchSet<KubeObject>>();
  private readonly autoscalers: AutoscalerWatch;
  private readonly core: WatchSet<KubeObject>[];
  private readonly all: WatchSet<KubeObject>[];

  constructor(
    api: ApiServer,
    options: {
      namespaces: string[];
      log: Logger;
      /** A watch opened again: after a failure, a silence, or a re-list on 410 Gone. */
      restarted?: (watch: string, reason: WatchRestart) => void;
      /** The Rollout as this controller last wrote it (its status writer's copy), if it did. */
      written?: (namespace: string, name: string) => (Rollout & KubeObject) | undefined;
    },
    queue: {
      enqueue: (key: string) => void;
      /** False on a follower or before the caches fill: events then need no work at all. */
      accepting: () => boolean;
    },
  ) {
    const { enqueue } = queue;
    const missingRetryMs = 10_000;
    const watch = <T extends KubeObject>(
      resource: ResourceType,
      extra: Omit<WatcherOptions<T>, 'resource' | 'namespace'> = {},
    ) => {
      const set = new WatchSet<T>(api, resource, options.namespaces, {
        missingRetryMs,
        ...extra,
      });
      const watch = describeType(resource);
      set.on('giveUp', (cause) => options.log.error({ err: cause, watch }, 'a watch gave up'));
      set.on('missing', (cause) =>
        options.log.debug({ err: cause.message, watch }, 'a resource type is not served'),
      );
      // Until a watch is open again its cache misses what changed, and the controller reads
      // the API instead: said and counted, so a cache that lags can be told from a slow server.
      set.on('reconnect', (attempt, delayMs, cause) => {
        options.log.warn(
          { err: cause?.message.slice(0, 300), watch, attempt, delayMs },
          'a watch failed; it is opened again from where it was',
        );
        options.restarted?.(watch, 'reconnect');
      });
      set.on('idle', (silentMs) => {
        options.log.warn({ watch, silentMs }, 'a watch was silent; it is opened again');
        options.restarted?.(watch, 'idle');
      });
      set.on('list', (reason) => {
        if (reason !== 'gone') return;
        options.log.info(
          { watch },
          'the API server no longer had the resourceVersion; listed again',
        );
        options.restarted?.(watch, 'relist');
      });
      return set;
    };
    // The status writer holds each Rollout as its last write answered; the watch then brings
    // the same version, cached as that copy rather than beside it.
    const rollouts = watch<Rollout & KubeObject>(knownTypes.rollouts, {
      heldCopy: ({ metadata }) =>
        options.written?.(metadata?.namespace ?? '', metadata?.name ?? ''),
    });
    const deployments = watch<WatchedDeployment>(knownTypes.deployments, {
      transform: watchedDeployment,
    });
    this.readiness = new DeploymentReadinessWatch(deployments);
    // Nothing of a ConfigMap or Secret is cached: the digests of referenced ones are.
    const configs = (type: ResourceType) =>
      watch<KubeObject>(type, { metadataOnly: true, keep: () => false });
    const configMaps = configs(knownTypes.configMaps);
    const secrets = configs(knownTypes.secrets);
    // Only the Services fledge writes (it labels them), kept as what their sync compares.
    const services = watch<WatchedService>(knownTypes.services, {
      labelSelector: `${MANAGED_LABEL}=true`,
      transform: watchedService,
    });
    const routes = routingTypes.map((type) => {
      const set = watch<KubeObject>(type);
      this.routes.set(describeType(type), set);
      return set;
    });

    const reader = (kind: ConfigKind) =>
      new ResourceClient<KubeObject>(
        api,
        kind === 'ConfigMap' ? knownTypes.configMaps : knownTypes.secrets,
      );
    const readers = { ConfigMap: reader('ConfigMap'), Secret: reader('Secret') };
    this.hashes = new ConfigHashes({
      read: async (ref, signal) => {
        try {
          const object = await readers[ref.kind].get(ref.namespace, ref.name, { signal });
          return {
            resourceVersion: object.metadata?.resourceVersion ?? '',
            hash: configHash(object),
          };
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      },
      changed: (ref) => {
        if (!queue.accepting()) return;
        for (const key of this.index.rolloutsOfConfig(ref)) enqueue(key);
      },
      log: options.log.child({ component: 'config-hashes' }),
    });
    this.index = new ReferenceIndex(
      (namespace, name) => deployments.get(namespace, name)?.template.references,
      { retained: (ref) => this.hashes.retain(ref), released: (ref) => this.hashes.release(ref) },
    );
    this.caches = {
      rollouts,
      deployments,
      services,
      configHash: (ref) => this.hashes.get(ref),
    };
    this.core = [rollouts, deployments, services, configMaps, secrets] as WatchSet<KubeObject>[];
    this.all = [...this.core, ...(routes as WatchSet<KubeObject>[])];

    // Only what the primary's copy is made of wakes a Rollout: the HPA controller rewrites
    // status every sync period, which would wake every autoscaled Rollout at rest.
    const autoscalerEvent = (autoscaler: WatchedAutoscaler, previous?: WatchedAutoscaler) => {
      if (previous && !autoscalerChanged(previous, autoscaler)) return;
      if (!queue.accepting()) return;
      const { namespace = '', name = '' } = autoscaler.metadata;
      for (const key of this.index.rolloutsOfAutoscaler(namespace, name)) enqueue(key);
    };
    this.autoscalers = new AutoscalerWatch({
      discover: () => new Autoscalers(api).version(),
      watch: (type) =>
        watch<WatchedAutoscaler>(type, { transform: watchedAutoscaler })
          .on('add', autoscalerEvent)
          .on('update', autoscalerEvent)
          .on('delete', autoscalerEvent),
      unavailable: (cause) =>
        options.log.debug({ err: cause }, 'no HorizontalPodAutoscaler version to watch'),
      retryMs: missingRetryMs,
    });

    const rolloutChanged = (rollout: Rollout & KubeObject) => {
      this.index.setRollout(keyOf(rollout), workloadOf(rollout));
      enqueue(keyOf(rollout));
    };
    rollouts
      .on('add', rolloutChanged)
      .on('update', rolloutChanged)
      .on('delete', (rollout) => {
        this.index.setRollout(keyOf(rollout), null);
        enqueue(keyOf(rollout));
      });
    const deploymentChanged = (deployment: WatchedDeployment, previous?: WatchedDeployment) => {
      const { namespace = '', name = '' } = deployment.metadata;
      this.index.deploymentChanged(namespace, name);
      this.readiness.changed(namespace, name);
      // Replicas and readiness are the readiness waits' business: a Rollout decides on what
      // the template is made of, and at rest the kubelet's status updates would wake it often.
      if (previous && !madeOfChanged(previous, deployment)) return;
      if (!queue.accepting()) return;
      for (const key of this.index.rolloutsOfDeployment(namespace, name)) enqueue(key);
    };
    deployments
      .on('add', deploymentChanged)
      .on('update', deploymentChanged)
      .on('delete', deploymentChanged);
    for (const [set, kind] of [
      [configMaps, 'ConfigMap'],
      [secrets, 'Secret'],
    ] as const) {
      const refOf = (object: KubeObject): ConfigRef => ({
        kind,
        namespace: object.metadata?.namespace ?? '',
        name: object.metadata?.name ?? '',
      });
      const seen = (object: KubeObject) =>
        this.hashes.observed(refOf(object), object.metadata?.resourceVersion ?? '');
      set
        .on('add', seen)
        .on('update', seen)
        .on('delete', (object) => this.hashes.deleted(refOf(object)));
      for (const watcher of set.watchers) {
        watcher.on('list', (_reason, objects) =>
          this.hashes.listed(kind, watcher.namespace, objects.map(refOf)),
        );
      }
    }
    const byName = (object: KubeObject) => enqueue(keyOf(object));
    for (const set of routes) set.on('update', byName).on('delete', byName);
    // A Service someone changed or removed: its Rollout puts it back (when it rests).
    const byOwner = (service: WatchedService) => {
      if (service.rollout) enqueue(`${service.metadata.namespace}/${service.rollout}`);
    };
    services.on('update', byOwner).on('delete', byOwner);
  }

  /** The watch cache of a routing type, once it has listed; a router reads the API without one. */
  routeCache(type: ResourceType): Cache<KubeObject> | undefined {
    const set = this.routes.get(describeType(type));
    return set?.hasSynced ? set : undefined;
  }

  /** The autoscaler watch's cache, once it has listed; effects read the API without one. */
  autoscalerCache(): Cache<WatchedAutoscaler> | undefined {
    return this.autoscalers.cache();
  }

  /** Whether a watch (listed) sees the routing object that a spec.routing names. */
  routingWatched(routing: RoutingSpec = {}): boolean {
    const provider = routing.provider ?? 'smi';
    const kind = provider === 'smi' ? 'TrafficSplit' : (routing.kind ?? 'HTTPRoute');
    const versions = supportedRouting[provider as keyof typeof supportedRouting];
    const apiVersion = routing.apiVersion ?? versions?.[0];
    const type = routingTypes.find(
      (t) => t.kind === kind && `${t.group}/${t.version}` === apiVersion,
    );
    return type !== undefined && this.routeCache(type) !== undefined;
  }

  /**
   * Rollouts, Deployments, Services, ConfigMaps and Secrets are listed; routing types and
   * autoscalers may never be.
   */
  get synced(): boolean {
    return this.core.every((set) => set.hasSynced);
  }

  start(): void {
    for (const set of this.all) set.start();
    this.autoscalers.start();
  }

  async stop(): Promise<void> {
    this.hashes.stop();
    await Promise.all([...this.all.map((set) => set.stop()), this.autoscalers.stop()]);
  }
}
