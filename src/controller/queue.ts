import { setImmediate as loopTurned } from 'node:timers/promises';

/**
 * Work that finds nothing to wait for (a settled Rollout restored from the caches) resolves
 * through microtasks alone, which never let the event loop turn: 10,000 of them held it for
 * 14 s, with lease renewals, watch events and probes waiting. Work starts in slices of this
 * many ms, and the loop turns between two slices.
 */
export const SLICE_MS = 10;

/**
 * A work queue that serializes the work of each key (one rollout is never reconciled twice at
 * once), collapses repeated requests for a key while it waits, and retries failed work with
 * exponential backoff. Keys are `namespace/name`.
 */
export interface WorkQueueOptions {
  /** Keys processed at the same time (different keys only). */
  concurrency: number;
  /** First retry delay after a failure, doubled up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  onError?: (key: string, error: unknown) => void;
}

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly order: string[] = [];
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  /** When the running slice started (performance.now()); undefined once the loop turned. */
  private sliceStartedAt: number | undefined;

  constructor(
    private readonly work: (key: string) => Promise<void>,
    private readonly options: WorkQueueOptions,
  ) {}

  /** Asks for the key to be processed; a key already waiting is not queued twice. */
  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Processes the key after a delay, unless it is processed earlier for another reason. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  get length(): number {
    return this.pending.size + this.running.size;
  }

  /** Resolves when nothing is waiting or running (delayed retries are not counted). */
  async drain(): Promise<void> {
    if (this.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work and waits for the running work to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
    this.order.length = 0;
    await this.drain();
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency && this.order.length > 0) {
      const key = this.order.shift() as string;
      this.pending.delete(key);
      this.running.add(key);
      void this.process(key);
    }
    if (this.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async process(key: string): Promise<void> {
    try {
      await this.takeTurn();
      await this.work(key);
      this.failures.delete(key);
    } catch (error) {
      const attempts = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempts);
      this.options.onError?.(key, error);
      const backoff = Math.min(
        this.options.maxBackoffMs,
        this.options.baseBackoffMs * 2 ** (attempts - 1),
      );
      this.addAfter(key, backoff);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key) && !this.stopped) {
        this.pending.add(key);
        this.order.push(key);
      }
      this.pump();
    }
  }

  /** Resolves at once within the running slice; past it, after the event loop turned. */
  private async takeTurn(): Promise<void> {
    for (;;) {
      const now = performance.now();
      if (this.sliceStartedAt === undefined) {
        this.sliceStartedAt = now;
        // The slice also ends when the loop turns on its own, say while work waits for I/O.
        void loopTurned().then(() => {
          this.sliceStartedAt = undefined;
        });
        return;
      }
      if (now - this.sliceStartedAt < SLICE_MS) return;
      await loopTurned();
    }
  }
}
