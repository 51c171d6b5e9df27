import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { EndpointSliceIndex, type EndpointSliceObject, type ServiceObject } from './endpoints.js';
import { createKubeHttp } from './kube-http.js';
import { MeshState } from './mesh-state.js';
import { startMetricsServer } from './metrics-server.js';
import type { PodObject } from './pod-identity.js';
import { ProxyMetrics } from './proxy-metrics.js';
import { startProxyServer } from './proxy-server.js';
import {
  type ResourceKind,
  type ResourceWatch,
  type ResourceWatchOptions,
  watchResource,
} from './resource-watch.js';
import type { RoutingObject } from './routing-table.js';

export { CLIENT_HEADER, DEFAULT_CALLER, NAMESPACE_HEADER } from './proxy-server.js';

export interface MeshOptions {
  kubeconfigPath: string;
  /** 0 picks a free port. */
  proxyPort: number;
  /** 0 picks a free port. */
  metricsPort: number;
  logger: Logger;
  /** Loopback address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** How long the series of a deleted pod stay exported (default 5 minutes). */
  podSeriesRetentionMs?: number;
  watch?: ResourceWatchOptions;
}

export interface Mesh {
  /** FLEDGE_MESH_PROXY: an HTTP proxy reaching Services by their cluster DNS names. */
  proxyUrl: string;
  /** What Prometheus scrapes. */
  metricsUrl: string;
  stop(): Promise<void>;
}

/** The routing kinds Linkerd reads, each at every API version users write. */
const routingKinds: Array<ResourceKind & { kind: string }> = [
  {
    group: 'split.smi-spec.io',
    version: 'v1alpha1',
    plural: 'trafficsplits',
    kind: 'TrafficSplit',
  },
  {
    group: 'split.smi-spec.io',
    version: 'v1alpha2',
    plural: 'trafficsplits',
    kind: 'TrafficSplit',
  },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute' },
  {
    group: 'gateway.networking.k8s.io',
    version: 'v1beta1',
    plural: 'httproutes',
    kind: 'HTTPRoute',
  },
  { group: 'policy.linkerd.io', version: 'v1beta3', plural: 'httproutes', kind: 'HTTPRoute' },
];

/**
 * Starts the Linkerd data-plane simulator for one cluster: watches Services, EndpointSlices,
 * Pods and routing objects, serves the forward proxy and the metrics endpoint. Resolves once
 * every watch has listed (or found its type absent) and both servers listen.
 */
export async function startMesh(options: MeshOptions): Promise<Mesh> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger.child({ component: 'mesh' });
  const retentionMs = options.podSeriesRetentionMs ?? 5 * 60_000;
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const kube = createKubeHttp(kc);
  const metrics = new ProxyMetrics();
  const reported = new Set<string>();
  let state: MeshState | null = null;
  const invalidate = () => state?.invalidateRoutes();

  const watches: ResourceWatch<unknown & object>[] = [];
  const watch = <T extends object>(kind: ResourceKind, handlers = {}) => {
    const w = watchResource<T>(kube, kind, handlers, logger, options.watch);
    watches.push(w);
    return w;
  };
  const services = watch<ServiceObject>({ group: '', version: 'v1', plural: 'services' });
  const slices = new EndpointSliceIndex();
  for (const version of ['v1', 'v1beta1']) {
    watch<EndpointSliceObject>(
      { group: 'discovery.k8s.io', version, plural: 'endpointslices' },
      {
        onChange: (slice: EndpointSliceObject) => slices.set(slice),
        onDelete: (slice: EndpointSliceObject) => slices.delete(slice),
      },
    );
  }
  const pods = watch<PodObject>(
    { group: '', version: 'v1', plural: 'pods' },
    {
      onDelete(pod: PodObject) {
        const { namespace = '', name = '' } = pod.metadata ?? {};
        metrics.forgetPod(namespace, name, Date.now(), retentionMs);
      },
    },
  );
  const routes = routingKinds.map((kind) => ({
    kind,
    watch: watch<RoutingObject>(kind, { onChange: invalidate, onDelete: invalidate }),
  }));

  state = new MeshState(
    {
      services: services.store,
      endpointSlices: (namespace, service) => slices.slicesOf(namespace, service),
      pods: pods.store,
      *routingObjects() {
        for (const { kind, watch } of routes) {
          for (const object of watch.store.values()) {
            yield { ...object, kind: kind.kind, apiVersion: `${kind.group}/${kind.version}` };
          }
        }
      },
    },
    (problems) => {
      for (const problem of problems) {
        if (!reported.has(problem)) logger.warn({ problem }, 'routing object ignored in part');
        reported.add(problem);
      }
    },
  );

  const sweeper = setInterval(() => metrics.sweep(Date.now()), 30_000);
  sweeper.unref();
  const stopWatches = () => {
    clearInterval(sweeper);
    for (const w of watches) w.stop();
  };
  try {
    await Promise.all(watches.map((w) => w.synced));
    const proxy = await startProxyServer({ host, port: options.proxyPort, state, metrics, logger });
    const metricsServer = await startMetricsServer(metrics, host, options.metricsPort).catch(
      async (err) => {
        await proxy.close();
        throw err;
      },
    );
    logger.info({ proxyUrl: proxy.url, metricsUrl: metricsServer.url }, 'mesh ready');
    return {
      proxyUrl: proxy.url,
      metricsUrl: metricsServer.url,
      async stop() {
        stopWatches();
        await Promise.all([proxy.close(), metricsServer.close()]);
      },
    };
  } catch (err) {
    stopWatches();
    throw err;
  }
}
