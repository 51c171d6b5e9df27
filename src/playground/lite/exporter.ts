import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ApiServer } from '../../kube/api-server.js';
import { knownTypes } from '../../kube/resources.js';
import { startSimulatorWatch } from '../simulator-watch.js';
import { type LitePodObject, litePodOf } from './pods.js';
import { exposeSeries, type LitePod, type SeriesOptions, withBehaviour } from './series.js';

export interface LiteExporter {
  /** http://127.0.0.1:<port>/metrics, for Prometheus. */
  metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * Serves Linkerd's inbound series for every answering pod of the cluster, synthesised from
 * each pod's spec (series.ts), so the real Prometheus scrapes what a meshed pod's proxy
 * would export while no process runs for the pod.
 */
export async function startLiteExporter(
  options: { kc: KubeConfig; logger: Logger } & SeriesOptions,
): Promise<LiteExporter> {
  const logger = options.logger.child({ component: 'lite-exporter' });
  const pods = new Map<string, LitePod>();
  const keyOf = (pod: LitePodObject) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const api = new ApiServer(options.kc);
  const { watcher, synced } = startSimulatorWatch<LitePodObject>(
    api,
    knownTypes.pods,
    {
      onChange: (pod) => {
        const key = keyOf(pod);
        const known = pods.get(key);
        const now = Date.now();
        const lite = litePodOf(pod, now);
        if (!lite) pods.delete(key);
        else pods.set(key, known ? withBehaviour(known, lite, now, options.rps) : lite);
      },
      onDelete: (pod) => pods.delete(keyOf(pod)),
    },
    logger,
  );
  await synced;
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(exposeSeries(pods.values(), Date.now(), options));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, 'lite exporter ready');
  return {
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    async stop() {
      await watcher.stop();
      api.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
