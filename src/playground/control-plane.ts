import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import { type AuditScope, auditFlags, auditPolicy } from './audit.js';
import { assertBinaries } from './binaries.js';
import { startProcess } from './child-process.js';
import { generateCredentials, tokenAuthFile } from './credentials.js';
import { renderKubeconfig } from './kubeconfig.js';
import { freePorts } from './ports.js';
import { readyOrStopped } from './readiness.js';
import { type Restartable, startRestartable } from './restartable.js';

export interface ControlPlaneOptions {
  /** Directory for etcd's data, keys, the kubeconfig and the logs; its own entries are replaced. */
  stateDir: string;
  /** Cluster name: the kubeconfig's cluster, user and context. Default "playground". */
  name?: string;
  /** Also run kube-controller-manager (Deployments, ReplicaSets, Endpoints, GC). Default true. */
  withControllerManager?: boolean;
  /**
   * Have kube-apiserver write an audit log of fledge's writes (see audit.ts), or of those to
   * the Rollouts and routing objects of some names only. Default false.
   */
  auditLog?: boolean | AuditScope;
  /**
   * etcd keeps its data in memory (a directory on /dev/shm, removed at stop) instead of under
   * `stateDir`. For scale runs: on this kind of VM etcd's fsyncs kept the disk 70% in iowait
   * and a thousand new Deployments took minutes to show ready. Default false.
   */
  etcdInMemory?: boolean;
  logger?: Logger;
}

export interface ControlPlane {
  name: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Bearer token of a system:masters user. */
  token: string;
  /** kube-apiserver's --cert-dir, with its self-signed apiserver.crt and apiserver.key. */
  pkiDir: string;
  /** `<stateDir>/audit/audit.log` when started with auditLog, else null. */
  auditLogPath: string | null;
  /** etcd's data: `<stateDir>/etcd`, or with etcdInMemory a directory on /dev/shm. */
  etcdDir: string;
  processes: Restartable[];
  /** Stops kube-apiserver and starts it again on the same port and etcd; resolves once ready. */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Controllers of kube-controller-manager left out: the token controller (the playground has
 * no kubelet that mounts tokens), node IPAM (no pod network), node lifecycle, which would
 * taint and evict the simulated node's pods whenever its heartbeat lags, and the endpoint
 * controller: the API server refuses the pods' loopback addresses in Endpoints, so it failed
 * for every Service, retried forever and sent a Warning each time (170% of a core at 10,000
 * Rollouts). The mesh reads EndpointSlices, which take loopback addresses.
 */
const controllers = '*,-serviceaccount-token,-nodeipam,-nodelifecycle,-endpoint';

/**
 * etcd, kube-apiserver and (by default) kube-controller-manager on free ports of 127.0.0.1,
 * resolved once the API server answers /readyz. Each process logs to `<stateDir>/logs/`.
 */
/** A directory in memory for the etcd of `stateDir`: one per state directory, so a new start replaces it. */
function memoryDirOf(stateDir: string): string {
  const id = createHash('sha256').update(stateDir).digest('hex').slice(0, 16);
  return path.join('/dev/shm', `fledge-etcd-${id}`);
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const name = options.name ?? 'playground';
  const withControllerManager = options.withControllerManager ?? true;
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ cluster: name });
  const binaries = await assertBinaries(
    withControllerManager
      ? ['etcd', 'kubeApiserver', 'kubeControllerManager']
      : ['etcd', 'kubeApiserver'],
  );

  const stateDir = path.resolve(options.stateDir);
  const dirs = {
    etcd: options.etcdInMemory ? memoryDirOf(stateDir) : path.join(stateDir, 'etcd'),
    pki: path.join(stateDir, 'pki'),
    logs: path.join(stateDir, 'logs'),
    audit: path.join(stateDir, 'audit'),
  };
  await Promise.all(Object.values(dirs).map((dir) => rm(dir, { recursive: true, force: true })));
  await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true, mode: 0o700 })));

  const credentials = generateCredentials();
  const files = {
    tokens: path.join(dirs.pki, 'tokens.csv'),
    serviceAccountKey: path.join(dirs.pki, 'service-account.key'),
    serviceAccountPub: path.join(dirs.pki, 'service-account.pub'),
    kubeconfig: path.join(stateDir, 'kubeconfig'),
    auditPolicy: path.join(dirs.audit, 'policy.yaml'),
    auditLog: path.join(dirs.audit, 'audit.log'),
  };
  await writeFile(files.tokens, tokenAuthFile(credentials.adminToken), { mode: 0o600 });
  await writeFile(files.serviceAccountKey, credentials.serviceAccountPrivateKey, { mode: 0o600 });
  await writeFile(files.serviceAccountPub, credentials.serviceAccountPublicKey);
  if (options.auditLog) {
    const scope = options.auditLog === true ? undefined : options.auditLog;
    await writeFile(files.auditPolicy, auditPolicy(scope));
  }

  const [etcdClient, etcdPeer, apiserverPort, controllerManagerPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const server = `https://127.0.0.1:${apiserverPort}`;
  await writeFile(
    files.kubeconfig,
    renderKubeconfig([{ name, server, token: credentials.adminToken }]),
    { mode: 0o600 },
  );

  const processes: Restartable[] = [];
  let apiserver: Restartable;
  const stop = async () => {
    for (const child of processes.toReversed()) await child.stop();
    if (options.etcdInMemory) await rm(dirs.etcd, { recursive: true, force: true });
  };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = await startRestartable('etcd', async () => {
      const child = await startProcess(
        {
          name: 'etcd',
          command: binaries.etcd,
          args: [
            `--name=${name}`,
            `--data-dir=${dirs.etcd}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${peerUrl}`,
            `--initial-advertise-peer-urls=${peerUrl}`,
            `--initial-cluster=${name}=${peerUrl}`,
            '--log-level=warn',
            '--logger=zap',
          ],
          logFile: path.join(dirs.logs, 'etcd.log'),
        },
        logger,
      );
      await readyOrStopped(child, { url: `${etcdUrl}/health` });
      return child;
    });
    processes.push(etcd);

    apiserver = await startRestartable('kube-apiserver', async () => {
      const child = await startProcess(
        {
          name: 'kube-apiserver',
          command: binaries.kubeApiserver,
          args: [
            `--etcd-servers=${etcdUrl}`,
            `--secure-port=${apiserverPort}`,
            '--insecure-port=0',
            '--bind-address=127.0.0.1',
            '--advertise-address=127.0.0.1',
            // Endpoints may not point at loopback, so the `kubernetes` Service gets none.
            '--endpoint-reconciler-type=none',
            `--cert-dir=${dirs.pki}`,
            `--token-auth-file=${files.tokens}`,
            '--authorization-mode=RBAC',
            `--service-account-key-file=${files.serviceAccountPub}`,
            `--service-account-signing-key-file=${files.serviceAccountKey}`,
            '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
            '--service-cluster-ip-range=10.96.0.0/16',
            '--allow-privileged=true',
            // Without the token controller no token Secret exists, and this plugin would reject pods.
            '--disable-admission-plugins=ServiceAccount',
            // FLEDGE_APISERVER_PROFILING=1 serves /debug/pprof, to see where its CPU goes.
            `--profiling=${process.env.FLEDGE_APISERVER_PROFILING === '1'}`,
            ...(options.auditLog
              ? auditFlags({ policy: files.auditPolicy, log: files.auditLog })
              : []),
          ],
          logFile: path.join(dirs.logs, 'kube-apiserver.log'),
          // FLEDGE_APISERVER_GOGC sets its Go collector's target (GOGC) alone: see docs/scale.md.
          ...(process.env.FLEDGE_APISERVER_GOGC
            ? { env: { GOGC: process.env.FLEDGE_APISERVER_GOGC } }
            : {}),
        },
        logger,
      );
      await readyOrStopped(child, { url: `${server}/readyz`, token: credentials.adminToken });
      // /readyz can answer before the bootstrap controller has made the system namespaces, and
      // a first write into `default` then fails with 404 (seen in CI).
      for (const namespace of ['default', 'kube-node-lease']) {
        await readyOrStopped(child, {
          url: `${server}/api/v1/namespaces/${namespace}`,
          token: credentials.adminToken,
        });
      }
      return child;
    });
    processes.push(apiserver);

    if (withControllerManager) {
      const controllerManager = await startRestartable('kube-controller-manager', async () => {
        const child = await startProcess(
          {
            name: 'kube-controller-manager',
            command: binaries.kubeControllerManager,
            args: [
              `--kubeconfig=${files.kubeconfig}`,
              `--authentication-kubeconfig=${files.kubeconfig}`,
              `--authorization-kubeconfig=${files.kubeconfig}`,
              `--controllers=${controllers}`,
              '--leader-elect=false',
              '--use-service-account-credentials=false',
              `--secure-port=${controllerManagerPort}`,
              '--bind-address=127.0.0.1',
              '--port=0',
              '--profiling=false',
              // The HPA controller reads the simulated metrics.k8s.io every 5 s, not 15 s.
              '--horizontal-pod-autoscaler-sync-period=5s',
              // Its client's default of 20 requests/s takes minutes to roll out a thousand
              // Deployments (scale runs); a local API server takes far more.
              '--kube-api-qps=300',
              '--kube-api-burst=600',
              // Five workers each (the default) wait on a loaded API server's answers, not on CPU:
              // a thousand new Deployments at once took minutes to show ready.
              '--concurrent-deployment-syncs=20',
              '--concurrent-replicaset-syncs=20',
            ],
            logFile: path.join(dirs.logs, 'kube-controller-manager.log'),
          },
          logger,
        );
        await readyOrStopped(child, { url: `https://127.0.0.1:${controllerManagerPort}/healthz` });
        return child;
      });
      processes.push(controllerManager);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ server, kubeconfig: files.kubeconfig }, 'control plane ready');
  return {
    name,
    kubeconfigPath: files.kubeconfig,
    server,
    token: credentials.adminToken,
    pkiDir: dirs.pki,
    auditLogPath: options.auditLog ? files.auditLog : null,
    etcdDir: dirs.etcd,
    processes,
    restartApiServer: async () => {
      await apiserver.restart();
      logger.info({ server }, 'kube-apiserver restarted');
    },
    stop,
  };
}
