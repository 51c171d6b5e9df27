import { follow } from './abort.js';

/**
 * Work that takes turns: at most `concurrent` pieces at once, the rest in the order they came.
 * A turn is handed from one holder to the next, never freed and retaken, so a newcomer never
 * overtakes the queue. It paces work toward the API server where the client's own queue would
 * hold every waiting request with its promises and timers (thousands of Rollouts
 * initializing at once).
 */
export class Turns {
  private held = 0;
  private readonly queue: Array<{ start: () => void }> = [];
  private pausedNow = false;

  /**
   * @param concurrent how many turns may be held at once.
   * @param maxWaiting how many may wait; past it `take` gives no turn (the caller decides
   *   what a refusal means). Unbounded only where the callers are bounded themselves.
   */
  constructor(
    readonly concurrent: number,
    readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {
    if (!(Number.isInteger(concurrent) && concurrent > 0)) {
      throw new RangeError(`turns: concurrent is ${concurrent}; give a positive integer`);
    }
  }

  /** How many wait for a turn now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** How many turns are held now. */
  get holding(): number {
    return this.held;
  }

  /** Whether turns are handed out now. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** Hands out no turn until `resume`: the turns held stay held, newcomers wait in line. */
  pause(): void {
    this.pausedNow = true;
  }

  /** Hands out turns again, first to those who waited. */
  resume(): void {
    if (!this.pausedNow) return;
    this.pausedNow = false;
    while (this.held < this.concurrent) {
      const next = this.queue.shift();
      if (!next) return;
      this.held += 1;
      next.start();
    }
  }

  /**
   * Resolves true once a turn is held (give it back with `release`), false at once when
   * `maxWaiting` already wait. Rejects with the signal's reason if it aborts first; a turn
   * that was waiting then leaves the queue.
   */
  take(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.pausedNow && this.held < this.concurrent) {
      this.held += 1;
      return Promise.resolve(true);
    }
    if (this.queue.length >= this.maxWaiting) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      // Through `follow`: a thousand waiters on one long-lived signal (a leader term) would
      // each cost a walk of its listener list to add and to remove.
      const unlink = signal
        ? follow(signal, () => {
            const at = this.queue.indexOf(waiter);
            if (at >= 0) this.queue.splice(at, 1);
            reject(signal.reason);
          })
        : undefined;
      const waiter = {
        start: () => {
          unlink?.();
          resolve(true);
        },
      };
      this.queue.push(waiter);
    });
  }

  /** Gives a held turn to the next in line, or frees it (always, while paused). */
  release(): void {
    const next = this.pausedNow ? undefined : this.queue.shift();
    if (next) next.start();
    else this.held = Math.max(0, this.held - 1);
  }

  /** Runs `work` once it has a turn; throws, running nothing, when `maxWaiting` already wait. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!(await this.take(signal))) {
      throw new Error(`turns: ${this.maxWaiting} already wait for one of ${this.concurrent}`);
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
