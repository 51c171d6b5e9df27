import pRetry, { AbortError } from 'p-retry';
import type { Logger } from 'pino';
import type { Rollout, RolloutStatus, WriterStamp } from '../api/types.js';
import { LinkedAbort } from '../kube/abort.js';
import { isConflict, isNotFound, type KubeObject, statusCodeOf } from '../kube/api-server.js';
import { NotLeadingError } from '../kube/leader-term.js';
import { withoutManagedFields } from '../kube/managed-fields.js';
import { mergePatchBetween } from '../kube/patch.js';
import type { ResourceClient } from '../kube/resources.js';
import { sharingWith } from '../kube/structural-sharing.js';
import { type Fence, supersededBy } from './fence.js';

export type StoredRollout = Rollout & KubeObject;

/** The status to write, computed from the Rollout as the server holds it now. */
export type StatusUpdate = (current: StoredRollout) => RolloutStatus;

/** Why a status write was given up: the rollout is left to whoever may write it. */
export type StatusRefusal =
  | { kind: 'superseded'; by: WriterStamp }
  | { kind: 'rejected'; statusCode: number; message: string };

export interface StatusWriterOptions {
  client: ResourceClient<StoredRollout>;
  fence: Fence;
  log: Logger;
  /** A refused write: superseded by a newer term, or rejected by the API server (4xx). */
  refused(refusal: StatusRefusal): void;
  /**
   * The Rollout as the watch cache holds it. When the watch brought a write's version before
   * its answer came, the writer keeps the cached copy instead of a second one.
   */
  cached?: () => StoredRollout | undefined;
  /** First retry delay after a failed write (server error, timeout); doubled up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Answers that a retry of the same write cannot change. */
const isFinal = (error: unknown): boolean => {
  const code = statusCodeOf(error);
  return code !== undefined && code >= 400 && code < 500 && code !== 409 && code !== 429;
};

/**
 * Whether a status change is only a new writer identity in the same term (none without leader
 * election): a restarted controller then writes nothing for a Rollout whose status it finds as
 * it would write it. A new term is written: a deposed replica learns of it from the stamp.
 */
function stampOnly(diff: unknown, stored: WriterStamp | undefined, mine: WriterStamp): boolean {
  const keys = Object.keys(diff ?? {});
  return keys.length === 1 && keys[0] === 'controller' && stored?.term === mine.term;
}

/**
 * The one writer of one Rollout's `.status` (contract: one writer per field). Writes are
 * queued and coalesced: only the newest wanted status is written, computed from the object
 * the server last returned. Every write is conditional on that object's resourceVersion and
 * stamped with this replica's identity and term, so that after a 409 the writer can tell a
 * harmless change (an annotation removed) from a successor's write: the first is retried on the
 * fresh object, the second ends this writer, and nothing it wanted is re-applied.
 *
 * A writer lives in the term it was made in: it gives up once that term ends (the next
 * leader writes), but not while the term only runs too short for a write to start, as it is
 * renewed or ends within a retry period.
 */
export class StatusWriter {
  private base: StoredRollout;
  private wanted: StatusUpdate | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();
  /** Aborts when the term this writer was made in ends. */
  private readonly term: AbortSignal;
  private closed = false;
  /** Whether the last status asked for was written rather than given up. */
  private recorded = true;
  /** The status wanted decides a rollback: it goes on the API client's urgent lane. */
  private urgent = false;
  /** Cuts short the routine attempt on the wire, for an urgent status to take its place. */
  private preempt: AbortController | undefined;

  constructor(
    initial: StoredRollout,
    private readonly options: StatusWriterOptions,
  ) {
    this.base = withoutManagedFields(initial);
    this.term = options.fence.signal;
  }

  /** The Rollout as this writer last saw it on the server. */
  get current(): StoredRollout {
    return this.base;
  }

  /**
   * Asks for the status `update` computes; resolves once it (or a newer one) is written or
   * given up. Never rejects: failures are retried with backoff, refusals reported. An
   * `urgent` status (one that decides to take traffic from a failing canary) is sent on the
   * urgent lane, and a routine write still waiting for the server gives way to it.
   */
  write(update: StatusUpdate, options: { urgent?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.wanted = update;
    if (options.urgent && !this.urgent) {
      this.urgent = true;
      this.preempt?.abort(new Preempted());
    }
    this.writing = this.writing.then(() => this.flush());
    return this.writing;
  }

  /**
   * Resolves once every status asked for so far is written (true) or given up (false: the
   * term ended, a newer term wrote the Rollout, or the API server refused the status).
   */
  async flushed(): Promise<boolean> {
    await this.writing;
    return this.recorded && !this.closed;
  }

  /** False once this writer gave up for good: it was stopped, or a newer term wrote the Rollout. */
  get open(): boolean {
    return !this.closed;
  }

  /** Gives up pending retries; a write on the wire completes (or is cut by the fence). */
  async stop(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    await this.writing;
  }

  private async flush(): Promise<void> {
    if (!this.wanted || this.closed) return;
    const giveUp = new LinkedAbort([this.stopping.signal, this.term]);
    try {
      await pRetry(() => this.attempt(), {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: this.options.minDelayMs ?? 250,
        maxTimeout: this.options.maxDelayMs ?? 30_000,
        randomize: true,
        signal: giveUp.signal,
        unref: true,
        // A conflict or a preempted attempt is tried again at once.
        shouldConsumeRetry: ({ error }) => !isConflict(error) && !(error instanceof Preempted),
        onFailedAttempt: ({ error, attemptNumber }) => {
          if (!isConflict(error) && !(error instanceof Preempted)) {
            this.options.log.warn(
              { err: error, attempt: attemptNumber },
              'status write failed; retrying with backoff',
            );
          }
        },
      });
      this.recorded = !this.closed;
    } catch (error) {
      this.recorded = false;
      if (this.stopping.signal.aborted) return;
      if (this.term.aborted) {
        this.giveUp();
        this.options.log.info(
          { err: this.term.reason },
          'the term ended before the status was written; the next leader writes it',
        );
        return;
      }
      this.options.log.warn({ err: error }, 'status write given up');
    } finally {
      giveUp.dispose();
    }
  }

  /** One try at writing the newest wanted status; throws to be retried, AbortError to give up. */
  private async attempt(): Promise<void> {
    const update = this.wanted;
    if (!update || this.closed) return;
    let stamp: WriterStamp;
    try {
      stamp = this.options.fence.stamp();
    } catch (error) {
      // Too little of the term is left to start a write: retried, unless the term is over.
      if (error instanceof NotLeadingError && !this.term.aborted) throw error;
      this.giveUp();
      throw new AbortError(error instanceof Error ? error : String(error));
    }
    const { namespace, name = '' } = this.base.metadata ?? {};
    const status = { ...update(this.base), controller: stamp };
    const diff = mergePatchBetween(this.base.status ?? {}, status);
    if (diff === undefined || stampOnly(diff, this.base.status?.controller, stamp)) {
      if (this.wanted === update) {
        this.wanted = null;
        this.urgent = false;
      }
      return;
    }
    const urgent = this.urgent;
    const preempt = new AbortController();
    if (!urgent) this.preempt = preempt;
    try {
      const written = await this.options.client.mergePatch(
        namespace,
        name,
        { metadata: { resourceVersion: this.base.metadata?.resourceVersion }, status: diff },
        'status',
        { urgent, signal: preempt.signal },
      );
      // The answer shares what it did not change with the status asked for (the runner's
      // history entries, the spec), or is the watch's copy: held once, not once more per write.
      const answer = withoutManagedFields(written);
      const cached = this.options.cached?.();
      const basis =
        cached && cached.metadata?.resourceVersion === answer.metadata?.resourceVersion
          ? cached
          : { ...this.base, status };
      this.base = sharingWith(basis, answer);
      if (this.wanted === update) {
        this.wanted = null;
        this.urgent = false;
      }
    } catch (error) {
      // Cut short for an urgent status: if the server applied it anyway, the next attempt's
      // conflict reads the object again, as after anyone's write.
      if (preempt.signal.aborted) throw new Preempted();
      if (isConflict(error)) {
        await this.refresh(stamp);
        throw error;
      }
      if (isNotFound(error)) {
        this.giveUp();
        throw new AbortError('the Rollout is gone');
      }
      if (isFinal(error)) {
        this.wanted = null;
        this.urgent = false;
        const message = error instanceof Error ? error.message : String(error);
        this.options.refused({ kind: 'rejected', statusCode: statusCodeOf(error) ?? 0, message });
        throw new AbortError(message);
      }
      throw error;
    } finally {
      if (this.preempt === preempt) this.preempt = undefined;
    }
  }

  /** After a 409: read the object again, and stop for good if a successor wrote it. */
  private async refresh(mine: WriterStamp): Promise<void> {
    const { namespace, name = '' } = this.base.metadata ?? {};
    const fresh = await this.options.client.get(namespace, name, { urgent: this.urgent });
    const by = fresh.status?.controller;
    if (by && supersededBy(by, mine)) {
      this.giveUp();
      this.options.refused({ kind: 'superseded', by });
      throw new AbortError(
        `status of ${namespace}/${name} was written by ${by.identity} in a newer term`,
      );
    }
    this.base = sharingWith(this.base, withoutManagedFields(fresh));
  }

  private giveUp(): void {
    this.closed = true;
    this.wanted = null;
  }
}

/** A routine attempt cut short so that an urgent status is written first. */
class Preempted extends Error {
  override readonly name = 'Preempted';
  constructor() {
    super('a routine status write gave way to an urgent one');
  }
}
