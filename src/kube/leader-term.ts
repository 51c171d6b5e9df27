/** One term of leading: its deadline, its signal, and the refusal of acts outside it. */

/**
 * The clock of every leader-election time (ms): monotonic, so a wall-clock step (NTP, a
 * suspended VM) neither lengthens nor shortens a term.
 */
export const leaseClock = (): number => performance.now();

/** One uninterrupted period of leading, as the controller fences its writes with it. */
export interface LeaderTerm {
  /** namespace/name of the Lease. */
  readonly lease: string;
  readonly identity: string;
  /** The Lease's leaseTransitions as this term's acquiring write set it: unique per term. */
  readonly number: number;
  /** Aborted the moment the term ends; its reason is a NotLeadingError. */
  readonly signal: AbortSignal;
  /** leaseClock() when the acquiring write was sent. */
  readonly acquiredAt: number;
  /** leaseClock() at which the term ends unless renewed first. */
  readonly validUntil: number;
  /** Exact by the local clock, even before the timer that ends the term has run. */
  readonly active: boolean;
  readonly remainingMs: number;
  /** Why the term ended; undefined while it runs. */
  readonly endReason: string | undefined;
  /** The holder whose lease this process judged expired to start this term, and when (leaseClock). */
  readonly tookOverFrom: { identity: string; expiredAt: number } | undefined;
  /** Throws a NotLeadingError unless the term runs for more than `marginMs` yet. */
  require(marginMs?: number): this;
}

/** A write (or any act of the leader) refused because its term has ended or is about to. */
export class NotLeadingError extends Error {
  override readonly name = 'NotLeadingError';
  constructor(
    readonly lease: string,
    readonly identity: string,
    readonly term: number | undefined,
    why: string,
    options?: ErrorOptions,
  ) {
    super(
      `${identity} does not lead through Lease ${lease}${term === undefined ? '' : ` (term ${term})`}: ${why}; the next leader redoes the work`,
      options,
    );
  }
}

export const isNotLeading = (error: unknown): error is NotLeadingError =>
  error instanceof NotLeadingError;

/** The elector's side of a term: it moves the deadline and ends it. */
export class Term implements LeaderTerm {
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private until: number;
  private ended: string | undefined;

  constructor(
    readonly lease: string,
    readonly identity: string,
    readonly number: number,
    readonly acquiredAt: number,
    renewDeadlineMs: number,
    readonly tookOverFrom: { identity: string; expiredAt: number } | undefined,
    private readonly onDeadline: (term: Term) => void,
  ) {
    this.until = acquiredAt + renewDeadlineMs;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get validUntil(): number {
    return this.until;
  }

  get active(): boolean {
    return this.ended === undefined && leaseClock() < this.until;
  }

  get remainingMs(): number {
    return this.ended === undefined ? Math.max(0, this.until - leaseClock()) : 0;
  }

  get endReason(): string | undefined {
    return this.ended;
  }

  require(marginMs = 0): this {
    if (this.ended !== undefined) throw this.refusal(`the term ended: ${this.ended}`);
    const remaining = this.remainingMs;
    if (remaining <= 0) throw this.refusal('the renew deadline passed');
    if (remaining <= marginMs) {
      throw this.refusal(
        `${Math.round(remaining)} ms are left of the term, no more than the margin of ${marginMs} ms`,
      );
    }
    return this;
  }

  /** A successful renew sent at `sentAt` keeps the term until sentAt + renewDeadline. */
  extend(sentAt: number, renewDeadlineMs: number): void {
    this.until = Math.max(this.until, sentAt + renewDeadlineMs);
  }

  /** Ends the term once; false when it had already ended. */
  end(reason: string): boolean {
    if (this.ended !== undefined) return false;
    this.ended = reason;
    clearTimeout(this.timer);
    this.abort.abort(this.refusal(reason));
    return true;
  }

  private refusal(why: string): NotLeadingError {
    return new NotLeadingError(this.lease, this.identity, this.number, why);
  }

  /**
   * Starts the timer that ends the term at its deadline. Renewals only move the deadline;
   * the timer re-arms itself when it finds it moved.
   */
  arm(): void {
    if (this.ended !== undefined) return;
    this.timer = setTimeout(
      () => {
        if (leaseClock() < this.until) this.arm();
        else this.onDeadline(this);
      },
      Math.max(1, Math.ceil(this.until - leaseClock())),
    );
  }
}
