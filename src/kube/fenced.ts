import { type LeaderTerm, NotLeadingError } from './leader-term.js';
import { type RetryOptions, retryOnConflict } from './patch.js';

/** What one attempt of a fenced write gets: the term it writes under, and that term's signal. */
export interface Fence {
  term: LeaderTerm;
  /** Pass it to every call of the attempt: the term's end aborts them. */
  signal: AbortSignal;
  /** 1 for the first attempt; from 2 on, the object must be read again (its resourceVersion too). */
  attempt: number;
}

export interface FencedWriteOptions extends RetryOptions {
  /** An attempt starts only while the term runs for more than this yet (ms); default 0. */
  marginMs?: number;
}

/**
 * A leader's write that a deposed leader can never re-apply. `write` must be conditional
 * (it sends the resourceVersion it read), so the API server refuses it with 409 once anyone
 * else wrote the object. Each attempt first checks the term (with `marginMs`) and carries its
 * signal. A 409 while the term runs is retried as retryOnConflict does (the attempt reads
 * fresh); a 409, or any failure, once the term has ended becomes a NotLeadingError and is
 * never retried: the next leader re-reads the world and decides again.
 */
export function fencedWrite<T>(
  term: LeaderTerm,
  write: (fence: Fence) => Promise<T>,
  options: FencedWriteOptions = {},
): Promise<T> {
  const marginMs = options.marginMs ?? 0;
  return retryOnConflict(async (attempt) => {
    term.require(marginMs);
    try {
      return await write({ term, signal: term.signal, attempt });
    } catch (error) {
      if (term.active) throw error;
      throw new NotLeadingError(
        term.lease,
        term.identity,
        term.number,
        `the term ended (${term.endReason ?? 'its renew deadline passed'}) before the write was confirmed; it is not retried`,
        { cause: error },
      );
    }
  }, options);
}
