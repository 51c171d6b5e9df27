import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type Logger, pino } from 'pino';
import { claimAddressBlock } from './address-blocks.js';
import type { AuditScope } from './audit.js';
import { assertBinaries } from './binaries.js';
import { startProcess } from './child-process.js';
import { type ControlPlane, startControlPlane } from './control-plane.js';
import { applyCrds, playgroundCrdFiles } from './crds.js';
import { type FledgeOptions, fledgeServices } from './fledge-services.js';
import { renderKubeconfig } from './kubeconfig.js';
import { startKubeletSim } from './kubelet/index.js';
import { startLiteExporter } from './lite/exporter.js';
import type { SeriesOptions } from './lite/series.js';
import { startMesh } from './mesh/index.js';
import { type Multicluster, meshProxyVariables, startMulticluster } from './multicluster/index.js';
import { playgroundStateDir } from './paths.js';
import { type ScrapeTarget, startPrometheus } from './prometheus.js';
import { readyOrStopped } from './readiness.js';
import { startResourceMetrics } from './resource-metrics/index.js';
import { type Restartable, startRestartable } from './restartable.js';

/**
 * A process the playground runs next to the cluster, such as the fledge controller or the
 * loadtester: it gets the playground's environment (KUBECONFIG, FLEDGE_PROMETHEUS_URL,
 * FLEDGE_MESH_PROXY) and is stopped with everything else.
 */
export interface ExtraProcess {
  name: string;
  command: string;
  args: string[];
  /** An http(s) URL that answers 200 once the process is ready; without it, started is ready. */
  readyUrl?: string;
}

export interface PlaygroundOptions {
  /** Names the state directory, ${FLEDGE_HOME:-~/.fledge}/playground/<name>. Default "playground". */
  name?: string;
  /** One API server per cluster, one kubeconfig context each, named after it. Default ["playground"]. */
  clusters?: string[];
  /** With several clusters: the latency their gateways add to each request (default 5 ms). */
  crossClusterLatencyMs?: number;
  /** fledge's own processes; none by default. */
  fledge?: FledgeOptions;
  /**
   * Each API server writes an audit log of fledge's writes (routing objects, Rollouts,
   * Deployments, Leases; see audit.ts), for chaos runs. Off by default: it costs a write per
   * request and a few MB a minute while rollouts progress. A scope keeps only the writes to
   * the Rollouts and routing objects of some names (a scale run's sample).
   */
  auditLog?: boolean | AuditScope;
  /** Each etcd keeps its data in memory (control-plane.ts says why); for scale runs. */
  etcdInMemory?: boolean;
  logger?: Logger;
  /**
   * Lite mode, for scale runs: pods run no process (the kubelet simulator reports them Ready)
   * and their Linkerd inbound series are synthesised from their spec by the lite exporter,
   * which the same Prometheus scrapes (docs/scale.md says what else is simulated).
   */
  lite?: SeriesOptions;
}

export interface PlaygroundCluster {
  name: string;
  server: string;
  token: string;
  /** The cluster's own single-context kubeconfig. */
  kubeconfigPath: string;
  meshProxy: string;
  metricsUrl: string;
  /** The API server's audit log when started with `auditLog`, else null. */
  auditLogPath: string | null;
}

export interface Playground {
  name: string;
  stateDir: string;
  /** One context per cluster; the first cluster's is current. */
  kubeconfigPath: string;
  prometheusUrl: string;
  /** The first cluster's mesh proxy (FLEDGE_MESH_PROXY). */
  meshProxy: string;
  clusters: PlaygroundCluster[];
  /** With several clusters, the simulated Linkerd multicluster linking them; else null. */
  multicluster: Multicluster | null;
  /** Every child process, for a supervisor's state file. */
  pids(): number[];
  /** Resolves with a description when a child process exits while the playground runs. */
  failure: Promise<string>;
  env(): Record<string, string>;
  /**
   * Stops a cluster's kube-apiserver (default: the first cluster's) and starts it again on
   * the same port and etcd; resolves once it is ready. Clients see refused connections
   * meanwhile, as during an API server upgrade.
   */
  restartApiServer(cluster?: string): Promise<void>;
  /** Stops Prometheus and starts it again on the same port and data; resolves once ready. */
  restartPrometheus(): Promise<void>;
  stop(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/**
 * Starts a whole playground: per cluster etcd, kube-apiserver, kube-controller-manager, the
 * CRDs, the kubelet simulator and the Linkerd data-plane simulator; then one Prometheus
 * scraping every mesh, then the extra processes. Resolves when all are ready; on any failure
 * it stops what it had started and rejects with the cause.
 */
export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const name = options.name ?? 'playground';
  const clusterNames = options.clusters ?? ['playground'];
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ playground: name });
  const binaries = await assertBinaries([
    'etcd',
    'kubeApiserver',
    'kubeControllerManager',
    'prometheus',
  ]);
  const stateDir = playgroundStateDir(name);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });

  const started: Stoppable[] = [];
  const children: Restartable[] = [];
  let stopping = false;
  let reportFailure: (description: string) => void = () => {};
  const failure = new Promise<string>((resolve) => {
    reportFailure = resolve;
  });
  const watch = (child: Restartable) => {
    children.push(child);
    void child.died.then((description) => {
      if (!stopping) reportFailure(description);
    });
  };
  const stop = async () => {
    stopping = true;
    for (const part of started.toReversed()) {
      await part.stop().catch((error: unknown) => {
        logger.warn({ err: error, part: part.name }, 'stopping a playground part failed');
      });
    }
    started.length = 0;
  };

  try {
    const crdFiles = await playgroundCrdFiles();
    const clusters: PlaygroundCluster[] = [];
    const controlPlanes = new Map<string, ControlPlane>();
    const liteTargets: ScrapeTarget[] = [];
    for (const clusterName of clusterNames) {
      const clusterDir = path.join(stateDir, 'clusters', clusterName);
      const controlPlane: ControlPlane = await startControlPlane({
        stateDir: clusterDir,
        name: clusterName,
        auditLog: options.auditLog ?? false,
        etcdInMemory: options.etcdInMemory ?? false,
        logger,
      });
      controlPlanes.set(clusterName, controlPlane);
      started.push({ name: `${clusterName} control plane`, stop: controlPlane.stop });
      for (const child of controlPlane.processes) watch(child);

      const kc = new KubeConfig();
      kc.loadFromFile(controlPlane.kubeconfigPath);
      await applyCrds(kc, crdFiles);

      const addresses = await claimAddressBlock();
      started.push({ name: `${clusterName} pod address block`, stop: addresses.release });
      const kubelet = await startKubeletSim({
        kubeconfigPath: controlPlane.kubeconfigPath,
        nodeName: clusterName,
        podAddressPrefix: addresses.prefix,
        lite: options.lite !== undefined,
        logger,
      });
      started.push({ name: `${clusterName} kubelet simulator`, stop: kubelet.stop });
      const mesh = await startMesh({
        kubeconfigPath: controlPlane.kubeconfigPath,
        logger: logger.child({ cluster: clusterName }),
      });
      started.push({ name: `${clusterName} mesh`, stop: mesh.stop });
      const metricsServer = await startResourceMetrics({
        kubeconfigPath: controlPlane.kubeconfigPath,
        pkiDir: controlPlane.pkiDir,
        requestsServed: mesh.requestsServed,
        logger: logger.child({ cluster: clusterName }),
      });
      started.push({ name: `${clusterName} metrics-server`, stop: metricsServer.stop });
      if (options.lite) {
        const exporter = await startLiteExporter({
          kc,
          logger: logger.child({ cluster: clusterName }),
          ...options.lite,
        });
        started.push({ name: `${clusterName} lite exporter`, stop: exporter.stop });
        liteTargets.push({
          cluster: clusterName,
          metricsUrl: exporter.metricsUrl,
          job: `linkerd-proxy-lite-${clusterName}`,
        });
      }
      clusters.push({
        name: clusterName,
        server: controlPlane.server,
        token: controlPlane.token,
        kubeconfigPath: controlPlane.kubeconfigPath,
        meshProxy: mesh.proxyUrl,
        metricsUrl: mesh.metricsUrl,
        auditLogPath: controlPlane.auditLogPath,
      });
    }
    const first = clusters[0];
    if (!first) throw new Error('a playground needs at least one cluster; --clusters was empty');
    const multicluster =
      clusters.length > 1
        ? await startMulticluster({ clusters, latencyMs: options.crossClusterLatencyMs, logger })
        : null;
    if (multicluster) started.push({ name: 'multicluster', stop: multicluster.stop });

    const kubeconfigPath = path.join(stateDir, 'kubeconfig');
    await writeFile(kubeconfigPath, renderKubeconfig(clusters), { mode: 0o600 });

    const prometheus = await startPrometheus(
      {
        binary: binaries.prometheus,
        stateDir,
        targets: [
          ...clusters.map((c) => ({ cluster: c.name, metricsUrl: c.metricsUrl })),
          ...liteTargets,
        ],
      },
      logger,
    );
    started.push({ name: 'prometheus', stop: prometheus.process.stop });
    watch(prometheus.process);

    const env = (): Record<string, string> => ({
      KUBECONFIG: kubeconfigPath,
      FLEDGE_PROMETHEUS_URL: prometheus.url,
      FLEDGE_MESH_PROXY: first.meshProxy,
      ...(multicluster ? meshProxyVariables(clusters) : {}),
    });
    const logs = path.join(stateDir, 'logs');
    await rm(logs, { recursive: true, force: true });
    await mkdir(logs, { recursive: true });
    const fledge = await fledgeServices(options.fledge ?? { controller: false, loadtester: false });
    await fledge.register(first.kubeconfigPath);
    for (const service of fledge.processes) {
      const child = await startRestartable(service.name, async () => {
        const process = await startProcess(
          {
            name: service.name,
            command: service.command,
            args: service.args,
            env: env(),
            logFile: path.join(logs, `${service.name}.log`),
          },
          logger,
        );
        if (service.readyUrl) await readyOrStopped(process, { url: service.readyUrl });
        return process;
      });
      started.push({ name: service.name, stop: child.stop });
      watch(child);
    }

    logger.info({ stateDir, ...env() }, 'playground ready');
    return {
      name,
      stateDir,
      kubeconfigPath,
      prometheusUrl: prometheus.url,
      meshProxy: first.meshProxy,
      clusters,
      multicluster,
      pids: () => children.map((c) => c.current.pid),
      failure,
      env,
      restartApiServer: async (cluster = first.name) => {
        const controlPlane = controlPlanes.get(cluster);
        if (!controlPlane) {
          throw new Error(
            `no cluster ${cluster} in playground ${name}; its clusters: ${[...controlPlanes.keys()].join(', ')}`,
          );
        }
        await controlPlane.restartApiServer();
      },
      restartPrometheus: async () => {
        await prometheus.process.restart();
        logger.info({ url: prometheus.url }, 'prometheus restarted');
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
