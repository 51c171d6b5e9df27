import type { KubeObject } from './api-server.js';

/**
 * The object without metadata.managedFields: the API server's bookkeeping of who set which
 * field, which fledge never reads, kubectl hides, and which takes a quarter of a Rollout's
 * size in memory. The object itself is left as it was.
 */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (!object.metadata || !('managedFields' in object.metadata)) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata as Record<string, unknown>;
  return { ...object, metadata } as T;
}
