import { type ApiServer, isNotFound, KubeApiError } from '../kube/api-server.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import type { RolloutObject } from './rollout-object.js';

/** A failure the CLI reports as is: its message already says what to do. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export function rolloutClient(api: ApiServer): ResourceClient<RolloutObject> {
  return new ResourceClient<RolloutObject>(api, knownTypes.rollouts);
}

/** Reads one Rollout; a missing one (or a missing CRD) becomes a message that says what to check. */
export async function readRollout(
  api: ApiServer,
  namespace: string,
  name: string,
): Promise<RolloutObject> {
  try {
    return await rolloutClient(api).get(namespace, name);
  } catch (error) {
    if (isNotFound(error)) throw isCrdMissing(error) ? crdMissing() : notFound(namespace, name);
    throw error;
  }
}

/** Rollouts in one namespace, or in all of them when namespace is undefined. */
export async function listRollouts(
  api: ApiServer,
  namespace: string | undefined,
): Promise<RolloutObject[]> {
  try {
    return (await rolloutClient(api).list(namespace)).items;
  } catch (error) {
    if (isNotFound(error)) throw crdMissing();
    throw error;
  }
}

/** The API server's answer for a resource type it does not serve, as opposed to a missing object. */
function isCrdMissing(error: unknown): boolean {
  return (
    error instanceof KubeApiError &&
    error.serverMessage.startsWith('the server could not find the requested resource')
  );
}

function notFound(namespace: string, name: string): CliError {
  return new CliError(
    `rollout ${namespace}/${name} not found: check the name and the namespace (-n), or list them with \`fledge status -A\``,
  );
}

function crdMissing(): CliError {
  return new CliError(
    'the API server does not serve rollouts.fledge.dev/v1alpha1: install the CRD (kubectl apply -f crds/rollout.yaml) or pick the right cluster with --context',
  );
}
