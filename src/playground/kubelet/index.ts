import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ApiServer, statusCodeOf } from '../../kube/api-server.js';
import { knownTypes, ResourceClient, resourcePath } from '../../kube/resources.js';
import { startSimulatorWatch } from '../simulator-watch.js';
import { behaviourFromEnv } from './app-behaviour.js';
import { nodeObject, nodeStatus } from './node.js';
import { PodAddressPool, serveOnFreeAddress } from './pod-address.js';
import { type PodApp, startPodApp } from './pod-app.js';
import { readinessDelaySeconds, runningStatus, type SimPod, servedPorts } from './pod-status.js';

export interface KubeletSimOptions {
  kubeconfigPath: string;
  /** The simulated Node's name; "playground" by default. */
  nodeName?: string;
  logger: Logger;
  /** First two octets of pod addresses, "127.1" by default; one per simulated cluster. */
  podAddressPrefix?: string;
  /**
   * Lite mode (scale runs): a pod gets an address and is reported Running and Ready, but no
   * app serves its ports; its Linkerd series come from the lite exporter instead.
   */
  lite?: boolean;
}

export interface KubeletSim {
  stop(): Promise<void>;
}

interface PodRuntime {
  uid: string;
  ip: string;
  apps: PodApp[];
  readyTimer?: NodeJS.Timeout;
}

/** How often the Node's status is posted again. */
const heartbeatMs = 10_000;
/** How long a deleted pod may finish requests in flight. */
const drainMs = 1000;
/** How long a deleted pod keeps serving before it stops. */
const terminationGraceMs = 1000;

/**
 * Plays the kubelet of one Node: binds every unscheduled pod to it (no scheduler runs),
 * serves each pod's container ports as HTTP apps on its own loopback address, reports the
 * pod Running and Ready, and on deletion stops the apps and removes the pod at once, so
 * the controller-manager's ReplicaSets, Endpoints and Deployment status stay real.
 */
export async function startKubeletSim(options: KubeletSimOptions): Promise<KubeletSim> {
  const nodeName = options.nodeName ?? 'playground';
  const logger = options.logger.child({ component: 'kubelet', node: nodeName });
  const kc = new KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  // fledge's API client, not client-node's typed one: that opens a connection (a TLS
  // handshake on both sides) for every call, where a kubelet keeps its connection. At 1,000
  // progressing Rollouts that was a handshake per pod write, on the cores the API server shares.
  const api = new ApiServer(kc, 'fledge-playground-kubelet');
  const nodes = new ResourceClient(api, knownTypes.nodes);
  const podApi = new ResourceClient(api, knownTypes.pods);
  const addresses = new PodAddressPool(options.podAddressPrefix ?? '127.1', Math.random() * 65_024);
  const running = new Map<string, PodRuntime>();
  const chains = new Map<string, Promise<void>>();

  const since = new Date().toISOString();
  async function postNodeStatus() {
    await nodes.mergePatch(
      undefined,
      nodeName,
      nodeStatus(new Date().toISOString(), since),
      'status',
    );
  }
  try {
    await nodes.create(nodeObject(nodeName));
  } catch (err) {
    if (statusCodeOf(err) !== 409) throw err;
  }
  await postNodeStatus();
  const heartbeat = setInterval(() => {
    postNodeStatus().catch((err) => logger.warn({ err }, 'node heartbeat failed'));
  }, heartbeatMs);

  async function stopRuntime(key: string, runtime: PodRuntime) {
    running.delete(key);
    clearTimeout(runtime.readyTimer);
    await Promise.all(runtime.apps.map((app) => app.close(drainMs)));
    addresses.release(runtime.ip);
  }

  async function patchStatus(pod: SimPod, runtime: PodRuntime, ready: boolean, startedAt: string) {
    const { name = '', namespace = '' } = pod.metadata ?? {};
    const body = runningStatus(pod, {
      podIP: runtime.ip,
      hostIP: '127.0.0.1',
      ready,
      startedAt,
      now: new Date().toISOString(),
    });
    try {
      await podApi.mergePatch(namespace, name, body, 'status');
    } catch (err) {
      if (statusCodeOf(err) !== 404) throw err;
    }
  }

  /** Serves every port of the pod on `ip`; null if another process holds one of them. */
  async function serve(key: string, pod: SimPod, ip: string): Promise<PodApp[] | null> {
    if (options.lite) return [];
    const { name = '', namespace = '' } = pod.metadata ?? {};
    const apps: PodApp[] = [];
    for (const { container, port } of servedPorts(pod)) {
      const { behaviour, problems } = behaviourFromEnv(container.env);
      for (const problem of problems) {
        logger.warn(
          { pod: key, container: container.name },
          `pod ${key} container ${container.name}: ${problem}`,
        );
      }
      try {
        apps.push(
          await startPodApp({
            ip,
            port,
            namespace,
            pod: name,
            container: container.name,
            image: container.image ?? '',
            env: container.env,
            behaviour,
          }),
        );
      } catch (err) {
        await Promise.all(apps.map((app) => app.close(0)));
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return null;
        throw err;
      }
    }
    return apps;
  }

  /**
   * Serves the pod on an address whose ports are free: answering on an address another
   * playground also serves would mix the two clusters' traffic.
   */
  async function start(key: string, pod: SimPod) {
    const { address: ip, served: apps } = await serveOnFreeAddress(
      addresses,
      pod.status?.podIP,
      (address) => serve(key, pod, address),
    );
    const runtime: PodRuntime = { uid: pod.metadata?.uid ?? '', ip, apps };
    running.set(key, runtime);
    const startedAt = new Date().toISOString();
    const delayMs = readinessDelaySeconds(pod) * 1000;
    await patchStatus(pod, runtime, delayMs === 0, startedAt);
    if (delayMs > 0) {
      runtime.readyTimer = setTimeout(() => {
        enqueue(key, async () => {
          if (running.get(key) === runtime) await patchStatus(pod, runtime, true, startedAt);
        });
      }, delayMs);
    }
    logger.info({ pod: key, ip }, 'pod running');
  }

  async function reconcile(namespace: string, name: string) {
    const key = `${namespace}/${name}`;
    const pod = pods.get(namespace, name);
    const runtime = running.get(key);
    if (runtime && runtime.uid !== pod?.metadata?.uid) await stopRuntime(key, runtime);
    if (!pod) return;
    const uid = pod.metadata?.uid ?? '';
    const boundElsewhere = pod.spec?.nodeName !== undefined && pod.spec.nodeName !== nodeName;
    if (boundElsewhere) return;
    if (pod.metadata?.deletionTimestamp) {
      const current = running.get(key);
      if (current) {
        // Like an app with a preStop pause: it serves on while the mesh learns from the
        // EndpointSlice that the pod is going, so no request meets a closed port.
        await new Promise((resolve) => setTimeout(resolve, terminationGraceMs));
        await stopRuntime(key, current);
      }
      try {
        await api.request('DELETE', resourcePath(knownTypes.pods, namespace, name), {
          body: { gracePeriodSeconds: 0, preconditions: { uid } },
        });
        logger.info({ pod: key }, 'pod deleted');
      } catch (err) {
        if (statusCodeOf(err) !== 404 && statusCodeOf(err) !== 409) throw err;
      }
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    if (!pod.spec?.nodeName) {
      try {
        await api.request('POST', resourcePath(knownTypes.pods, namespace, name, 'binding'), {
          body: {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace },
            target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
          },
        });
      } catch (err) {
        if (statusCodeOf(err) !== 409 && statusCodeOf(err) !== 404) throw err;
      }
      return;
    }
    if (!running.has(key)) await start(key, pod);
  }

  /** Work on one pod runs in order; different pods proceed concurrently. */
  function enqueue(key: string, task: () => Promise<void>) {
    const next = (chains.get(key) ?? Promise.resolve())
      .then(task)
      .catch((err) => logger.error({ err, pod: key }, `pod ${key}: kubelet step failed`));
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  }

  const onPod = (pod: SimPod) => {
    const { namespace = '', name = '' } = pod.metadata ?? {};
    enqueue(`${namespace}/${name}`, () => reconcile(namespace, name));
  };
  const { watcher: pods, synced } = startSimulatorWatch<SimPod>(
    api,
    knownTypes.pods,
    { onChange: onPod, onDelete: onPod },
    logger,
  );
  await synced;
  logger.info({ node: nodeName }, 'kubelet simulator ready');

  return {
    async stop() {
      clearInterval(heartbeat);
      await pods.stop();
      await Promise.all([...chains.values()]);
      await Promise.all([...running].map(([key, runtime]) => stopRuntime(key, runtime)));
      // Last: the pods' writes above go through it.
      api.close();
    },
  };
}
