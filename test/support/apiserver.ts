import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Rollout } from '../../src/api/types.js';
import { validateRollout } from '../../src/api/validate.js';
import { ApiServer, isAlreadyExists, type KubeObject } from '../../src/kube/api-server.js';
import { typedKubeConfig } from '../../src/kube/client.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { knownTypes, ResourceClient, type ResourceType } from '../../src/kube/resources.js';
import { startControlPlane } from '../../src/playground/control-plane.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** CRD files by what they define, relative to the repository root. */
export const crdFiles = {
  rollout: 'crds/rollout.yaml',
  alertProvider: 'crds/alertprovider.yaml',
  metricTemplate: 'crds/metrictemplate.yaml',
  trafficSplit: 'src/playground/crds/trafficsplit.yaml',
  gatewayHttpRoute: 'src/playground/crds/gateway-httproute.yaml',
  linkerdHttpRoute: 'src/playground/crds/linkerd-httproute.yaml',
  gatewayGrpcRoute: 'src/playground/crds/gateway-grpcroute.yaml',
} as const;

export interface TestApiServer {
  kc: KubeConfig;
  api: ApiServer;
  kubeconfigPath: string;
  server: string;
  /** kube-apiserver's --cert-dir (its self-signed serving certificate). */
  pkiDir: string;
  /** A fresh namespace with a unique name. */
  createNamespace(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

const crdType: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

/** etcd and a real kube-apiserver (no controller manager) in a temp dir, with the given CRDs served. */
export async function startTestApiServer(
  crds: (keyof typeof crdFiles)[] = [],
): Promise<TestApiServer> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'fledge-apiserver-'));
  const plane = await startControlPlane({ stateDir, withControllerManager: false });
  const kc = typedKubeConfig(plane.kubeconfigPath);
  // fledge's own kubeconfig, as the controller loads it; `kc` is client-node's, for typed clients.
  const api = new ApiServer(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
  let namespaces = 0;
  try {
    for (const crd of crds) await applyCrdFile(api, path.join(repoRoot, crdFiles[crd]));
  } catch (error) {
    await plane.stop();
    throw error;
  }
  return {
    kc,
    api,
    kubeconfigPath: plane.kubeconfigPath,
    server: plane.server,
    pkiDir: plane.pkiDir,
    async createNamespace(prefix = 'test') {
      namespaces += 1;
      const name = `${prefix}-${namespaces}-${Math.random().toString(36).slice(2, 7)}`;
      await new ResourceClient(api, knownTypes.namespaces).create({ metadata: { name } });
      return name;
    },
    async stop() {
      await plane.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Starts one API server for the calling test file; the getter is valid inside tests. */
export function useApiServer(crds: (keyof typeof crdFiles)[] = []): () => TestApiServer {
  let server: TestApiServer | undefined;
  beforeAll(async () => {
    server = await startTestApiServer(crds);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  }, 60_000);
  return () => {
    if (!server) throw new Error('the test API server did not start; see beforeAll');
    return server;
  };
}

/** Creates every CRD in a file and waits until each one's versions are served. */
export async function applyCrdFile(api: ApiServer, file: string): Promise<void> {
  const crds = new ResourceClient(api, crdType);
  const documents = parseAllDocuments(await readFile(file, 'utf8'))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((d): d is KubeObject => d?.kind === 'CustomResourceDefinition');
  for (const crd of documents) {
    try {
      await crds.create(crd);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    const spec = crd.spec as {
      group: string;
      names: { plural: string };
      versions: { name: string }[];
    };
    for (const { name: version } of spec.versions) {
      await waitFor(`${spec.names.plural}.${spec.group}/${version} served`, async () => {
        await api.request('GET', `/apis/${spec.group}/${version}/${spec.names.plural}`);
        return true;
      });
    }
  }
}

/** Polls until `check` returns a truthy value (errors count as not yet); fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

/**
 * Creates Rollout `api` (target `api`, port 8080, 1m interval, steps of 10) on the API server
 * and returns it as the controller reads it, validated; `spec` adds to or replaces its fields.
 */
export async function createValidRollout(
  api: ApiServer,
  namespace: string,
  spec: Record<string, unknown> = {},
): Promise<Rollout> {
  const created = await new ResourceClient(api, knownTypes.rollouts).create({
    metadata: { namespace, name: 'api' },
    spec: {
      targetRef: { name: 'api' },
      service: { port: 8080 },
      analysis: { interval: '1m', stepWeight: 10 },
      ...spec,
    },
  });
  const validation = validateRollout(created);
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  return validation.rollout;
}
