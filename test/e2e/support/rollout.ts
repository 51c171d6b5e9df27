import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { Rollout, RolloutStatus } from '../../../src/api/types.js';
import { ApiServer, type KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { kubectl } from './kubectl.js';

export {
  type AppOptions,
  appManifest,
  type RolloutOptions,
  rolloutManifest,
} from '../../support/manifests.js';

import { type WaitOptions, waitFor } from '../../support/wait.js';

const rolloutClients = new Map<string, ResourceClient<Rollout & KubeObject>>();

/**
 * Cached per kubeconfig: status is polled every 200 ms, and a client per poll would open a
 * new TLS connection each time instead of reusing one ApiServer's keep-alive pool.
 */
export function rolloutClient(
  kubeconfigPath = inject('KUBECONFIG'),
): ResourceClient<Rollout & KubeObject> {
  let client = rolloutClients.get(kubeconfigPath);
  if (!client) {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    client = new ResourceClient(new ApiServer(kc), knownTypes.rollouts);
    rolloutClients.set(kubeconfigPath, client);
  }
  return client;
}

export async function rolloutStatus(
  namespace: string,
  name: string,
  kubeconfigPath?: string,
): Promise<RolloutStatus> {
  const rollout = await rolloutClient(kubeconfigPath).find(namespace, name);
  return rollout?.status ?? {};
}

export interface StatusWaitOptions extends WaitOptions {
  /** The cluster to read, when it is not the e2e playground's. */
  kubeconfigPath?: string;
}

/** Polls the Rollout's status until `accept` says yes; also returns every status seen. */
export async function waitForStatus(
  namespace: string,
  name: string,
  what: string,
  accept: (status: RolloutStatus) => boolean,
  seen: RolloutStatus[] = [],
  { timeoutMs = 300_000, intervalMs = 200, kubeconfigPath }: StatusWaitOptions = {},
): Promise<RolloutStatus> {
  return waitFor(
    `rollout ${namespace}/${name} ${what}`,
    async () => {
      const status = await rolloutStatus(namespace, name, kubeconfigPath);
      seen.push(status);
      if (accept(status)) return status;
      throw new Error(
        `phase ${status.phase} weight ${status.canaryWeight} failed ${status.failedChecks}: ${status.message}`,
      );
    },
    { timeoutMs, intervalMs },
  );
}

/** Done either way: promoted or rolled back. */
export const finished = (status: RolloutStatus) =>
  status.phase === 'Succeeded' || status.phase === 'Failed';

export const waitInitialized = (namespace: string, name: string) =>
  waitForStatus(namespace, name, 'to be Initialized', (s) => s.phase === 'Initialized');

export async function createNamespace(namespace: string): Promise<void> {
  await kubectl(['create', 'namespace', namespace]);
}

export async function annotate(namespace: string, name: string, annotation: string): Promise<void> {
  await kubectl(['-n', namespace, 'annotate', '--overwrite', `rollout/${name}`, annotation]);
}

/** Distinct canary weights in the order they were seen. */
export function weightsSeen(statuses: RolloutStatus[]): number[] {
  const weights: number[] = [];
  for (const status of statuses) {
    const weight = status.canaryWeight;
    if (weight !== undefined && weights.at(-1) !== weight) weights.push(weight);
  }
  return weights;
}
