import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiServer, isAlreadyExists, type KubeObject } from '../kube/api-server.js';
import { createOrReplace } from './crds.js';
import { SERVICE_NAME_LABEL } from './mesh/endpoints.js';
import { packageRoot } from './paths.js';
import type { ExtraProcess } from './playground.js';
import { freePort } from './ports.js';

/** Which fledge processes a playground runs inside itself. */
export interface FledgeOptions {
  /** `fledge controller` over every namespace, without leader election. */
  controller: boolean;
  /** `fledge loadtester`, reachable in the mesh as fledge-loadtester.fledge-system. */
  loadtester: boolean;
}

export const FLEDGE_NAMESPACE = 'fledge-system';
export const LOADTESTER_SERVICE = 'fledge-loadtester';
/** The in-mesh address webhooks use, as in a real cluster (contract §7). */
export const LOADTESTER_URL = `http://${LOADTESTER_SERVICE}.${FLEDGE_NAMESPACE}/`;

export interface FledgeServices {
  processes: ExtraProcess[];
  /** Makes the loadtester a cluster Service, once the cluster is up. */
  register(kubeconfigPath: string): Promise<void>;
}

/**
 * The fledge processes and the cluster objects that make them look like they run in
 * `fledge-system`. Both run from this checkout's dist/ (built by `npm run build`); their
 * environment (KUBECONFIG, FLEDGE_PROMETHEUS_URL, FLEDGE_MESH_PROXY) comes from the playground.
 */
export async function fledgeServices(options: FledgeOptions): Promise<FledgeServices> {
  const main = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const processes: ExtraProcess[] = [];
  let loadtesterPort: number | undefined;
  if (options.loadtester) {
    loadtesterPort = await freePort();
    processes.push({
      name: 'fledge-loadtester',
      command: process.execPath,
      args: [main, 'loadtester', '--host', '127.0.0.1', '--port', String(loadtesterPort)],
      readyUrl: `http://127.0.0.1:${loadtesterPort}/healthz`,
    });
  }
  if (options.controller) {
    const port = await freePort();
    processes.push({
      name: 'fledge-controller',
      command: process.execPath,
      args: [
        main,
        'controller',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--no-leader-elect',
      ],
      readyUrl: `http://127.0.0.1:${port}/healthz`,
    });
  }
  return {
    processes,
    async register(kubeconfigPath) {
      if (loadtesterPort === undefined) return;
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      const api = new ApiServer(kc);
      try {
        for (const object of loadtesterObjects(loadtesterPort)) await apply(api, object);
      } finally {
        api.close();
      }
    },
  };
}

/**
 * A selector-less Service and the EndpointSlice the mesh routes it by: port 80 to the
 * loadtester on 127.0.0.1, with no pod behind it (the mesh then records no inbound side).
 */
export function loadtesterObjects(port: number): Array<KubeObject & { path: string }> {
  const namespace = FLEDGE_NAMESPACE;
  return [
    {
      path: '/api/v1/namespaces',
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    },
    {
      path: `/api/v1/namespaces/${namespace}/services`,
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: LOADTESTER_SERVICE, namespace, labels: { app: LOADTESTER_SERVICE } },
      spec: { ports: [{ name: 'http', port: 80, targetPort: port, protocol: 'TCP' }] },
    },
    {
      // The playground's API server is 1.20: EndpointSlice v1 arrived in 1.21.
      path: `/apis/discovery.k8s.io/v1beta1/namespaces/${namespace}/endpointslices`,
      apiVersion: 'discovery.k8s.io/v1beta1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${LOADTESTER_SERVICE}-playground`,
        namespace,
        labels: {
          [SERVICE_NAME_LABEL]: LOADTESTER_SERVICE,
          'endpointslice.kubernetes.io/managed-by': 'fledge-playground',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'http', port, protocol: 'TCP' }],
    },
  ];
}

async function apply(api: ApiServer, object: KubeObject & { path: string }): Promise<void> {
  const { path: collection, ...body } = object;
  // An existing Namespace is kept: a replace would drop the labels others gave it.
  const write =
    body.kind === 'Namespace'
      ? api.request('POST', collection, { body }).catch((error: unknown) => {
          if (!isAlreadyExists(error)) throw error;
        })
      : createOrReplace(api, collection, body);
  await write.catch((error: unknown) => {
    throw new Error(
      `could not create ${body.kind} ${body.metadata?.name ?? ''} for the playground's loadtester: ${(error as Error).message}`,
    );
  });
}
