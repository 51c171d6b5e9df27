import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ApiServer, type ObjectWithMeta } from '../../kube/api-server.js';
import { endpointSliceTypes, knownTypes, type ResourceType } from '../../kube/resources.js';
import { routingObjectTypes } from '../../routing/index.js';
import { startSimulatorWatch, type WatchHandlers } from '../simulator-watch.js';
import { EndpointSliceIndex, type EndpointSliceObject, type ServiceObject } from './endpoints.js';
import { MeshState } from './mesh-state.js';
import { startMetricsServer } from './metrics-server.js';
import type { PodObject } from './pod-identity.js';
import { ProxyMetrics } from './proxy-metrics.js';
import { startProxyServer } from './proxy-server.js';
import type { RoutingObject } from './routing-table.js';

export { CLIENT_HEADER } from './proxy-server.js';

export interface MeshOptions {
  kubeconfigPath: string;
  logger: Logger;
}

export interface Mesh {
  /** FLEDGE_MESH_PROXY: an HTTP proxy reaching Services by their cluster DNS names. */
  proxyUrl: string;
  /** What Prometheus scrapes. */
  metricsUrl: string;
  /** Requests a pod has served so far, counted by its inbound proxy. */
  requestsServed(namespace: string, pod: string): number;
  stop(): Promise<void>;
}

/** Both servers listen on free ports of this address. */
const host = '127.0.0.1';
/** How long the series of a deleted pod stay exported. */
const podSeriesRetentionMs = 5 * 60_000;

/**
 * Starts the Linkerd data-plane simulator for one cluster: watches Services, EndpointSlices,
 * Pods and routing objects, serves the forward proxy and the metrics endpoint. Resolves once
 * every watch has listed (or found its type absent) and both servers listen.
 */
export async function startMesh(options: MeshOptions): Promise<Mesh> {
  const logger = options.logger.child({ component: 'mesh' });
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const api = new ApiServer(kc);
  const metrics = new ProxyMetrics();
  const reported = new Set<string>();
  let state: MeshState | null = null;
  const invalidate = () => state?.invalidateRoutes();

  const watchers: Array<{ stop(): Promise<void> }> = [];
  const synced: Promise<void>[] = [];
  const watch = <T extends ObjectWithMeta>(type: ResourceType, handlers: WatchHandlers<T> = {}) => {
    const started = startSimulatorWatch<T>(api, type, handlers, logger);
    watchers.push(started.watcher);
    synced.push(started.synced);
    return started.watcher;
  };
  const services = watch<ServiceObject>(knownTypes.services);
  const slices = new EndpointSliceIndex();
  for (const type of endpointSliceTypes) {
    watch<EndpointSliceObject>(type, {
      onChange: (slice) => slices.set(slice),
      onDelete: (slice) => slices.delete(slice),
    });
  }
  const pods = watch<PodObject>(knownTypes.pods, {
    onDelete(pod: PodObject) {
      const { namespace = '', name = '' } = pod.metadata ?? {};
      metrics.forgetPod(namespace, name, Date.now(), podSeriesRetentionMs);
    },
  });
  const routes = routingObjectTypes.map((type) => ({
    type,
    watcher: watch<RoutingObject>(type, { onChange: invalidate, onDelete: invalidate }),
  }));

  state = new MeshState(
    {
      service: (namespace, name) => services.get(namespace, name),
      endpointSlices: (namespace, service) => slices.slicesOf(namespace, service),
      pod: (namespace, name) => pods.get(namespace, name),
      *routingObjects() {
        for (const { type, watcher } of routes) {
          for (const object of watcher.list()) {
            yield { ...object, kind: type.kind, apiVersion: `${type.group}/${type.version}` };
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
  const stopWatches = async () => {
    clearInterval(sweeper);
    await Promise.all(watchers.map((w) => w.stop()));
    api.close();
  };
  try {
    await Promise.all(synced);
    const proxy = await startProxyServer({ host, port: 0, state, metrics, logger });
    const metricsServer = await startMetricsServer(metrics, host, 0).catch(async (err) => {
      await proxy.close();
      throw err;
    });
    logger.info({ proxyUrl: proxy.url, metricsUrl: metricsServer.url }, 'mesh ready');
    return {
      proxyUrl: proxy.url,
      metricsUrl: metricsServer.url,
      requestsServed: (namespace, pod) => metrics.servedBy(namespace, pod),
      async stop() {
        await Promise.all([stopWatches(), proxy.close(), metricsServer.close()]);
      },
    };
  } catch (err) {
    await stopWatches();
    throw err;
  }
}
