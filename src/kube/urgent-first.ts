import type { Turns } from './turns.js';

/**
 * While an urgent request is in flight, routine requests wait to be sent. A rollback's two
 * writes (its status, then its route) otherwise share a busy API server's cores with every
 * routine request in flight (32 of them at 1,000 progressing Rollouts), and its route write
 * waited on the server for as long as a routine one. Those already sent complete; new ones
 * start `graceMs` after the last urgent request ends, as a rollback's route write follows
 * its status write by the controller's own turn. A hold lasts at most `maxHoldMs`: past it,
 * routine requests go again and wait for no further urgent one until none is in flight,
 * so a stream of rollbacks, or a hung one, cannot starve the steps of every other rollout.
 */
export class UrgentFirst {
  private inFlight = 0;
  private heldSince: number | undefined;
  /** The hold ran out while urgent requests were still in flight: none holds until they end. */
  private spent = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly routine: Turns,
    private readonly graceMs = 200,
    private readonly maxHoldMs = 2_000,
  ) {}

  /** An urgent request is about to be sent. */
  started(): void {
    this.inFlight += 1;
    if (this.spent) return;
    const now = performance.now();
    if (this.heldSince === undefined) {
      this.heldSince = now;
      this.routine.pause();
    }
    this.resumeAt(this.heldSince + this.maxHoldMs, now);
  }

  /** An urgent request has its answer, or failed. */
  ended(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight > 0) return;
    this.spent = false;
    if (this.heldSince === undefined) return;
    const now = performance.now();
    this.resumeAt(Math.min(now + this.graceMs, this.heldSince + this.maxHoldMs), now);
  }

  private resumeAt(at: number, now: number): void {
    clearTimeout(this.timer);
    // Not unref'd: routine requests held behind it are a caller's pending work, and a process
    // with nothing else to wait on (a script, the CLI) would exit under them (code 13).
    this.timer = setTimeout(() => this.resume(), Math.max(0, at - now));
  }

  private resume(): void {
    this.timer = undefined;
    this.heldSince = undefined;
    this.spent = this.inFlight > 0;
    this.routine.resume();
  }
}
