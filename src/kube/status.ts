import type { ObjectWithMeta } from './api-server.js';
import { mergePatchBetween, type RetryOptions, retryOnConflict } from './patch.js';
import type { ResourceClient } from './resources.js';

export interface StatusWrite<T extends ObjectWithMeta> {
  /** False when the status on the server already was the desired one. */
  written: boolean;
  object: T;
}

/**
 * Sets `.status` of `current` to exactly `status` through the status subresource. The merge
 * patch is the difference from the status last read and carries that read's
 * resourceVersion, so it never lands on a status it was not computed from: on 409 the object
 * is read fresh and the difference recomputed.
 */
export async function writeStatus<T extends ObjectWithMeta & { status?: unknown }>(
  client: ResourceClient<T>,
  current: T,
  status: Record<string, unknown>,
  retry: RetryOptions = {},
): Promise<StatusWrite<T>> {
  const { namespace, name } = current.metadata ?? {};
  if (!name) throw new Error(`status of ${client.type.kind}: the object has no metadata.name`);
  let base = current;
  return retryOnConflict(async (attempt) => {
    if (attempt > 1) base = await client.get(namespace, name);
    const diff = mergePatchBetween(base.status ?? {}, status);
    if (diff === undefined) return { written: false, object: base };
    const object = await client.mergePatch(
      namespace,
      name,
      { metadata: { resourceVersion: base.metadata?.resourceVersion }, status: diff },
      'status',
    );
    return { written: true, object };
  }, retry);
}
