/**
 * Coalesces the grouped metrics of rollouts analysed at about the same time into one query
 * per metric definition: the first rollout to ask opens a batch, the others that ask the same
 * definition within a short linger join it, and one query (or a few, past the size bounds),
 * evaluated at one instant, answers them all. A batch's members that finish together are due
 * together at their next interval too, so the batches of steady rollouts tend to merge.
 */
import type { GroupSeries } from './grouped-result.js';
import {
  fanOut,
  type Groupable,
  type GroupBounds,
  type GroupDefinition,
  identityKey,
  splitMembers,
  type WorkloadIdentity,
} from './grouping.js';
import { type MetricsProvider, MetricsQueryError, type QueryRange } from './prometheus.js';
import { gridLength } from './query-result.js';

/** A rollout's grouped metric, and the query it would send alone (for its messages). */
export interface GroupedAsk {
  group: Groupable;
  query: string;
  /** The rollout's analysis interval: how long it waits for company scales with it. */
  analysisIntervalMs: number;
}

export interface GroupingProvider extends MetricsProvider {
  queryGrouped(ask: GroupedAsk, signal?: AbortSignal): Promise<number | null>;
  /** A judge's series over `range`, grouped with the others asked on the same grid. */
  queryRangeGrouped(
    ask: GroupedAsk,
    range: QueryRange,
    signal?: AbortSignal,
  ): Promise<(number | null)[]>;
}

export function isGrouping(provider: MetricsProvider): provider is GroupingProvider {
  return typeof (provider as Partial<GroupingProvider>).queryGrouped === 'function';
}

export interface CoalescerOptions extends Partial<GroupBounds> {
  /** The longest a rollout waits for others to ask the same definition (default 1 s). */
  maxLingerMs?: number;
}

/** A twentieth of the interval: an interval comes at most 5% later than alone. */
const LINGER_FRACTION = 1 / 20;
const DEFAULT_MAX_LINGER_MS = 1000;
/** Tens of bytes of regex per workload: a query for 100 stays well under Prometheus's limits. */
const DEFAULT_BOUNDS: GroupBounds = { maxMembers: 100, maxQueryChars: 16_384 };

interface Waiting<T> {
  identity: WorkloadIdentity;
  query: string;
  resolve(value: T): void;
  reject(error: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Batch<T> {
  definition: GroupDefinition;
  members: Waiting<T>[];
  timer: NodeJS.Timeout;
  /** Sends one grouped query evaluated at `timeMs` (an instant query's time). */
  send(promql: string, timeMs: number): Promise<GroupSeries<T>[]>;
  /** What a member without a series gets: no data. */
  noSeries(): T;
}

/**
 * Members settled in one turn of the event loop. What a settled member's analysis does next
 * (its machine's step, a status write, an Event) runs in the microtasks right after: settling
 * a whole batch at once held the event loop for all of them, and a rollback's answer from the
 * API server waited behind the steps of up to a hundred other rollouts.
 */
const SETTLED_PER_TURN = 8;

/** Calls `settle` for each member, a few per turn of the event loop, I/O in between. */
async function inTurns<T>(
  members: readonly T[],
  settle: (member: T, index: number) => void,
): Promise<void> {
  for (let index = 0; index < members.length; index += 1) {
    if (index > 0 && index % SETTLED_PER_TURN === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    settle(members[index] as T, index);
  }
}

/**
 * `provider` with `queryGrouped`; everything else is passed through. Batches are keyed by
 * definition and live at most one linger, so the open ones are bounded by the definitions in
 * use, each by `maxMembers` (a full batch is sent at once).
 */
export function coalesceQueries(
  provider: MetricsProvider,
  options: CoalescerOptions = {},
): GroupingProvider {
  const bounds: GroupBounds = {
    maxMembers: options.maxMembers ?? DEFAULT_BOUNDS.maxMembers,
    maxQueryChars: options.maxQueryChars ?? DEFAULT_BOUNDS.maxQueryChars,
  };
  const maxLingerMs = options.maxLingerMs ?? DEFAULT_MAX_LINGER_MS;
  const address = provider.address ?? 'its address';
  // Each batch's members wait for the same type of answer; the key says which.
  const open = new Map<string, Batch<unknown>>();

  const settle = (member: Waiting<unknown>) => {
    if (member.onAbort) member.signal?.removeEventListener('abort', member.onAbort);
  };

  /** The grouped query's failure as the member's own query would have failed. */
  const asMember = (error: unknown, member: Waiting<unknown>) =>
    error instanceof MetricsQueryError
      ? new MetricsQueryError(error.address, member.query, error.reason, error.fix, {
          cause: error,
        })
      : error;

  async function ask<T>(batch: Batch<T>, members: Waiting<T>[], timeMs: number) {
    const { definition } = batch;
    const identities = members.map((m) => m.identity);
    try {
      // One member's cancellation must not cancel the others': the provider's own timeout bounds it.
      const series = await batch.send(definition.render(identities), timeMs);
      const values = fanOut(series, definition.labels, identities, batch.noSeries);
      await inTurns(members, (member, index) => {
        settle(member);
        const value = values[index] ?? { value: batch.noSeries() };
        if ('value' in value) member.resolve(value.value);
        else {
          member.reject(
            new MetricsQueryError(
              address,
              member.query,
              `answered, but ${value.problem}`,
              value.fix,
            ),
          );
        }
      });
    } catch (error) {
      await inTurns(members, (member) => {
        settle(member);
        member.reject(asMember(error, member));
      });
    }
  }

  function dispatch(key: string) {
    const batch = open.get(key);
    if (!batch) return;
    open.delete(key);
    clearTimeout(batch.timer);
    const timeMs = Date.now();
    const byIdentity = new Map<string, Waiting<unknown>[]>();
    for (const member of batch.members) {
      const id = identityKey(member.identity);
      byIdentity.set(id, [...(byIdentity.get(id) ?? []), member]);
    }
    const chunks = splitMembers(
      batch.definition,
      batch.members.map((m) => m.identity),
      bounds,
    );
    for (const chunk of chunks) {
      // Each chunk's members in identity order; repeats of an identity share its series.
      const members = chunk.flatMap((identity) => byIdentity.get(identityKey(identity)) ?? []);
      void ask(batch, members, timeMs);
    }
  }

  /** Puts a rollout's query in the open batch of `key`, opening one if there is none. */
  function join<T>(
    key: string,
    request: GroupedAsk,
    how: Pick<Batch<T>, 'send' | 'noSeries'>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (signal?.aborted) {
      return Promise.reject(
        new MetricsQueryError(
          address,
          request.query,
          'was not asked',
          'the analysis was cancelled',
        ),
      );
    }
    const { definition, identity } = request.group;
    return new Promise<T>((resolve, reject) => {
      const member: Waiting<T> = {
        identity,
        query: request.query,
        resolve,
        reject,
        ...(signal ? { signal } : {}),
      };
      let batch = open.get(key) as Batch<T> | undefined;
      if (!batch) {
        const lingerMs = Math.min(maxLingerMs, request.analysisIntervalMs * LINGER_FRACTION);
        const timer = setTimeout(() => dispatch(key), Math.max(0, lingerMs));
        batch = { definition, members: [], timer, ...how };
        open.set(key, batch);
      }
      const joined = batch;
      joined.members.push(member);
      if (signal) {
        member.onAbort = () => {
          settle(member);
          const waiting = (open.get(key) as Batch<T> | undefined) === joined;
          if (waiting) {
            joined.members.splice(joined.members.indexOf(member), 1);
            if (joined.members.length === 0) {
              clearTimeout(joined.timer);
              open.delete(key);
            }
          }
          reject(
            new MetricsQueryError(
              address,
              request.query,
              waiting ? 'was not asked' : 'was not waited for',
              'the analysis was cancelled',
            ),
          );
        };
        signal.addEventListener('abort', member.onAbort, { once: true });
      }
      if (joined.members.length >= bounds.maxMembers) dispatch(key);
    });
  }

  function queryGrouped(request: GroupedAsk, signal?: AbortSignal): Promise<number | null> {
    const queryVector = provider.queryVector;
    if (!queryVector) return provider.query(request.query, signal);
    return join<number | null>(
      `instant ${request.group.definition.key}`,
      request,
      { send: (promql, timeMs) => queryVector(promql, timeMs), noSeries: () => null },
      signal,
    );
  }

  function queryRangeGrouped(
    request: GroupedAsk,
    range: QueryRange,
    signal?: AbortSignal,
  ): Promise<(number | null)[]> {
    const { queryRangeVector, queryRange } = provider;
    if (!queryRangeVector) {
      return queryRange
        ? queryRange(request.query, range, signal)
        : Promise.reject(new Error('its metrics provider answers only instant queries'));
    }
    const grid = gridLength(range);
    return join<(number | null)[]>(
      `range ${JSON.stringify(range)} ${request.group.definition.key}`,
      request,
      {
        send: (promql) => queryRangeVector(promql, range),
        noSeries: () => new Array<number | null>(grid).fill(null),
      },
      signal,
    );
  }

  return {
    ...(provider.address !== undefined ? { address: provider.address } : {}),
    query: (promql, signal) => provider.query(promql, signal),
    ...(provider.queryVector ? { queryVector: provider.queryVector } : {}),
    ...(provider.queryRangeVector ? { queryRangeVector: provider.queryRangeVector } : {}),
    ...(provider.startedAt ? { startedAt: provider.startedAt } : {}),
    ...(provider.queryRange ? { queryRange: provider.queryRange } : {}),
    ...(provider.close ? { close: provider.close } : {}),
    queryGrouped,
    queryRangeGrouped,
  };
}
