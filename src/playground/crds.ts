import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from './paths.js';

/** The CRD manifests a playground serves: the meshes' route kinds, and fledge's Rollout once written. */
export async function playgroundCrdFiles(): Promise<string[]> {
  const root = packageRoot();
  const meshCrds = path.join(root, 'src', 'playground', 'crds');
  const files = (await readdir(meshCrds))
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => path.join(meshCrds, file));
  const rollout = path.join(root, 'crds', 'rollout.yaml');
  return existsSync(rollout) ? [rollout, ...files] : files;
}

/** Creates or replaces every CRD in the files, then waits until the API server serves them. */
export async function applyCrds(
  kc: KubeConfig,
  files: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(file, 'utf8'))) {
      const crd = document.toJS() as V1CustomResourceDefinition | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      crds.push(crd);
      await createOrReplace(client, crd, file);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    for (;;) {
      const served = await client.read<V1CustomResourceDefinition>({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name },
      });
      const established = served.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (established) break;
      if (Date.now() > deadline) {
        throw new Error(
          `CustomResourceDefinition ${name} is not Established after ${timeoutMs / 1000} s: ${JSON.stringify(served.status?.conditions ?? [])}`,
        );
      }
      await sleep(100);
    }
  }
}

async function createOrReplace(
  client: KubernetesObjectApi,
  object: KubernetesObject,
  file: string,
): Promise<void> {
  try {
    await client.create(object);
  } catch (error) {
    if ((error as { code?: number }).code !== 409) {
      throw new Error(
        `could not create ${object.kind} ${object.metadata?.name} from ${file}: ${errorBody(error)}`,
      );
    }
    const current = await client.read({
      apiVersion: object.apiVersion ?? '',
      kind: object.kind ?? '',
      metadata: { name: object.metadata?.name ?? '' },
    });
    await client.replace({
      ...object,
      metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion },
    });
  }
}

function errorBody(error: unknown): string {
  const { body, message } = error as { body?: unknown; message?: string };
  return typeof body === 'string' ? body : (message ?? String(error));
}
