import { pino } from 'pino';
import type { RolloutStatus } from '../../../src/api/types.js';
import type { Fence } from '../../../src/controller/fence.js';
import {
  type StatusRefusal,
  StatusWriter,
  type StatusWriterOptions,
  type StoredRollout,
} from '../../../src/controller/status-writer.js';
import { KubeApiError } from '../../../src/kube/api-server.js';
import { NotLeadingError } from '../../../src/kube/leader-term.js';
import type { ResourceClient } from '../../../src/kube/resources.js';

type Json = Record<string, unknown>;

/** RFC 7386: what the API server does with a merge patch. */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Json =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Json) }
      : {};
  for (const [key, value] of Object.entries(patch as Json)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * One Rollout held in memory the way the API server holds it: resourceVersions, 409 on a
 * stale precondition, merge patches on the status subresource. Failures can be injected.
 */
export function memoryRollout(initial: StoredRollout) {
  let stored: StoredRollout = structuredClone({
    ...initial,
    metadata: { ...initial.metadata, resourceVersion: '1' },
  });
  let version = 1;
  const statuses: RolloutStatus[] = [];
  const failures: Error[] = [];
  const client = {
    get: async () => structuredClone(stored),
    mergePatch: async (_ns: string, _name: string, patch: Json, subresource?: string) => {
      const failure = failures.shift();
      if (failure) throw failure;
      const { metadata, ...rest } = patch as { metadata?: { resourceVersion?: string } } & Json;
      if (
        metadata?.resourceVersion &&
        metadata.resourceVersion !== stored.metadata?.resourceVersion
      ) {
        throw new KubeApiError(
          'PATCH',
          '/rollouts',
          409,
          'Conflict',
          'the object has been modified',
        );
      }
      const { resourceVersion: _rv, ...metadataChange } = metadata ?? {};
      const change =
        subresource === 'status' ? { status: rest.status } : { ...rest, metadata: metadataChange };
      version += 1;
      stored = applyMergePatch(stored, change) as StoredRollout;
      stored.metadata = { ...stored.metadata, resourceVersion: String(version) };
      if (subresource === 'status') statuses.push(structuredClone(stored.status ?? {}));
      return structuredClone(stored);
    },
  } as unknown as ResourceClient<StoredRollout>;
  return {
    client,
    /** Every status written, in order. */
    statuses,
    current: () => stored,
    /** The next writes fail with these errors, in order. */
    failNext: (...errors: Error[]) => failures.push(...errors),
  };
}

export const leading: Fence = {
  stamp: () => ({ identity: 'test-controller' }),
  signal: new AbortController().signal,
};

/**
 * A fence over one term the test steers, as the elector would: `nearEnd(true)` leaves too
 * little of the term for a write to start (a renewal is late), `end()` ends it for good.
 */
export function steeredTerm(number = 7) {
  const term = new AbortController();
  let nearEnd = false;
  const refusal = (why: string) =>
    new NotLeadingError('default/fledge', 'test-controller', number, why);
  const fence: Fence = {
    stamp: () => {
      if (term.signal.aborted) throw refusal('the term ended');
      if (nearEnd) throw refusal('300 ms are left of the term, no more than the margin of 400 ms');
      return { identity: 'test-controller', term: number };
    },
    signal: term.signal,
  };
  return {
    fence,
    nearEnd: (value: boolean) => {
      nearEnd = value;
    },
    end: () => term.abort(refusal('the renew deadline passed')),
  };
}

/**
 * A StatusWriter over a memory Rollout, retrying fast; `client` may wrap the memory client (a
 * slow lane, a watch that sees each write first), `cached` stands for the watch cache.
 */
export function memoryWriter(
  initial: StoredRollout,
  fence: Fence = leading,
  over: {
    client?: (memory: ResourceClient<StoredRollout>) => ResourceClient<StoredRollout>;
    cached?: StatusWriterOptions['cached'];
  } = {},
) {
  const store = memoryRollout(initial);
  const refusals: StatusRefusal[] = [];
  const writer = new StatusWriter(store.current(), {
    client: over.client?.(store.client) ?? store.client,
    fence,
    ...(over.cached ? { cached: over.cached } : {}),
    log: pino({ level: 'silent' }),
    refused: (refusal) => refusals.push(refusal),
    minDelayMs: 10,
    maxDelayMs: 100,
  });
  return { ...store, writer, refusals };
}
