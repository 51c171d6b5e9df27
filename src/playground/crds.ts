import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ApiServer, isAlreadyExists, type KubeObject } from '../kube/api-server.js';
import { packageRoot } from './paths.js';

/** The CRD manifests a playground serves: fledge's own (crds/), then the meshes' route kinds. */
export async function playgroundCrdFiles(): Promise<string[]> {
  const root = packageRoot();
  const yamlIn = async (dir: string) =>
    existsSync(dir)
      ? (await readdir(dir))
          .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
          .sort()
          .map((file) => path.join(dir, file))
      : [];
  return [
    ...(await yamlIn(path.join(root, 'crds'))),
    ...(await yamlIn(path.join(root, 'src', 'playground', 'crds'))),
  ];
}

const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

interface Crd extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string }> };
}

/**
 * Creates or replaces every CRD in the files, then waits until the API server serves them.
 * Raw JSON on purpose: client-node's typed serializer drops the schema's x-kubernetes-*
 * keys, which changes what the CRD accepts.
 */
export async function applyCrds(
  kc: KubeConfig,
  files: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const api = new ApiServer(kc);
  const names: string[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(file, 'utf8'))) {
      const crd = document.toJS() as Crd | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const name = crd.metadata?.name ?? '';
      names.push(name);
      await createOrReplace(api, crdPath, crd).catch((error: unknown) => {
        throw new Error(
          `could not apply CustomResourceDefinition ${name} from ${file}: ${(error as Error).message}`,
        );
      });
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const served = await api.request<Crd>('GET', `${crdPath}/${name}`);
      const conditions = served.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) {
        throw new Error(
          `CustomResourceDefinition ${name} is not Established after ${timeoutMs / 1000} s: ${JSON.stringify(conditions)}`,
        );
      }
      await sleep(100);
    }
  }
}

/**
 * POSTs the object to its collection; when it exists already, PUTs it over the stored one,
 * with the stored resourceVersion that a replace must carry.
 */
export async function createOrReplace(
  api: ApiServer,
  collection: string,
  object: KubeObject,
): Promise<void> {
  try {
    await api.request('POST', collection, { body: object });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    const item = `${collection}/${object.metadata?.name ?? ''}`;
    const current = await api.request<KubeObject>('GET', item);
    await api.request('PUT', item, {
      body: {
        ...object,
        metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion },
      },
    });
  }
}
