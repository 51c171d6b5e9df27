import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ApiServer } from '../../kube/api-server.js';
import { type Gateway, startGateway } from './gateway.js';
import { latencyFromEnv } from './latency.js';
import { linkObject, MULTICLUSTER_NAMESPACE, writeLink } from './links.js';
import type { GatewayAddress } from './mirror-objects.js';
import { type ServiceMirror, startServiceMirror } from './service-mirror.js';

export interface LinkedCluster {
  name: string;
  kubeconfigPath: string;
  meshProxy: string;
}

export interface MulticlusterOptions {
  clusters: LinkedCluster[];
  /** Added to each request crossing clusters (default: $FLEDGE_CROSS_CLUSTER_LATENCY_MS, else 5 ms). */
  latencyMs?: number;
  logger: Logger;
}

export interface Multicluster {
  /** The gateway of a cluster: what its exported Services' mirrors elsewhere point at. */
  gateway(cluster: string): Gateway;
  stop(): Promise<void>;
}

/** How often each service mirror compares the clusters. */
const mirrorPeriodMs = 500;

const gatewayIdentity = (cluster: string) =>
  `linkerd-gateway.${MULTICLUSTER_NAMESPACE}.serviceaccount.identity.linkerd.cluster.local#${cluster}`;

/**
 * A simulated Linkerd multicluster over the playground's clusters, linked pairwise: a gateway
 * per cluster, and in every cluster a Link and a service mirror for each other cluster.
 */
export async function startMulticluster(options: MulticlusterOptions): Promise<Multicluster> {
  const logger = options.logger.child({ component: 'multicluster' });
  const latencyMs = options.latencyMs ?? latencyFromEnv() ?? 5;
  const gateways = new Map<string, Gateway>();
  const mirrors: ServiceMirror[] = [];
  const apis: ApiServer[] = [];
  const stop = async () => {
    await Promise.all(mirrors.map((m) => m.stop()));
    await Promise.all([...gateways.values()].map((g) => g.stop()));
    for (const api of apis) api.close();
  };
  try {
    const apiOf = new Map<string, ApiServer>();
    for (const cluster of options.clusters) {
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfigPath);
      const api = new ApiServer(kc);
      apis.push(api);
      apiOf.set(cluster.name, api);
      gateways.set(
        cluster.name,
        await startGateway({
          cluster: cluster.name,
          meshProxy: cluster.meshProxy,
          latencyMs,
          logger,
        }),
      );
    }
    const addressOf = (cluster: string): GatewayAddress => {
      const gateway = gateways.get(cluster) as Gateway;
      return { ip: gateway.ip, port: gateway.port, identity: gatewayIdentity(cluster) };
    };
    for (const local of options.clusters) {
      for (const target of options.clusters) {
        if (target.name === local.name) continue;
        const localApi = apiOf.get(local.name) as ApiServer;
        await writeLink(localApi, linkObject(target.name, addressOf(target.name)));
        mirrors.push(
          startServiceMirror({
            target: {
              name: target.name,
              api: apiOf.get(target.name) as ApiServer,
              gateway: addressOf(target.name),
            },
            local: { name: local.name, api: localApi },
            periodMs: mirrorPeriodMs,
            logger,
          }),
        );
      }
    }
    return {
      gateway(cluster) {
        const gateway = gateways.get(cluster);
        if (!gateway) {
          throw new Error(
            `no gateway for cluster "${cluster}"; the playground's clusters are ${[...gateways.keys()].join(', ')}`,
          );
        }
        return gateway;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Each cluster's mesh proxy as `FLEDGE_MESH_PROXY_<CLUSTER>` (upper case, other characters as
 * `_`): a test or a person sends traffic as a caller in that cluster.
 */
export function meshProxyVariables(
  clusters: ReadonlyArray<{ name: string; meshProxy: string }>,
): Record<string, string> {
  return Object.fromEntries(
    clusters.map((c) => [
      `FLEDGE_MESH_PROXY_${c.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`,
      c.meshProxy,
    ]),
  );
}
