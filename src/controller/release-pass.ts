import type { Logger } from 'pino';
import { CONDITION_INVALID, type Rollout } from '../api/types.js';
import { coalesced } from './coalesce.js';
import {
  allocateSlots,
  type QueueEntry,
  queuedCondition,
  type ReleaseLimits,
  slotOf,
  type Verdict,
} from './release-queue.js';
import type { RolloutRunner } from './runner.js';
import type { SlotLedger } from './slot-ledger.js';
import { storedGrantedAt, storedSlot } from './stored-slot.js';

/**
 * The release queue's passes are this far apart at least: a pass reads every cached Rollout,
 * and a start waiting this long for its slot is nothing next to an interval.
 */
const SLOT_PASS_GAP_MS = 50;
/** A pass that could not reach the release ledger is tried again this much later. */
const SLOT_RETRY_MS = 1_000;

export interface ReleasePassOptions {
  /** The machines this replica runs, by namespace/name. */
  runners: ReadonlyMap<string, RolloutRunner>;
  /** Every Rollout this replica sees (the watch cache). */
  rollouts(): Rollout[];
  /** Whether this replica holds any shard: only then does it grant. */
  leading(): boolean;
  limits: ReleaseLimits;
  /** With several shards, grants are written here first (one queue over all replicas). */
  ledger?: SlotLedger;
  log: Logger;
}

/**
 * The release queue's pass: waiting releases hear the verdict; the granted ones start at once,
 * so the next pass counts them. Only a live machine waits, so without one the pass does
 * nothing: at 1,000 Rollouts progressing without limits, reading them all at every pass took a
 * tenth of the controller's CPU. With several shards, each grant is first written to the
 * release ledger, so that two replicas never take the last slot together.
 */
export class ReleasePass {
  /** One pass after whatever moved: many changes, one pass. */
  readonly schedule: () => void;

  constructor(private readonly options: ReleasePassOptions) {
    this.schedule = coalesced(() => {
      if (options.leading()) this.run();
    }, SLOT_PASS_GAP_MS);
  }

  /**
   * Every Rollout this replica sees holds a slot, waits for one or neither, by its live
   * machine or, without a runner here, by its stored status. With one shard, only a live
   * machine waits (a stored one that waits is not running yet); with several, the releases
   * other replicas drive wait in the same line, so that slots go first in, first out over all.
   */
  entries(): QueueEntry[] {
    const entries: QueueEntry[] = [];
    const sharded = this.options.ledger !== undefined;
    for (const rollout of this.options.rollouts()) {
      const key = `${rollout.metadata.namespace}/${rollout.metadata.name}`;
      const runner = this.options.runners.get(key);
      const slot = runner ? slotOf(runner.current) : storedSlot(rollout);
      if (slot.kind === 'waiting' && !runner && !(sharded && mayRun(rollout))) continue;
      const max = rollout.spec?.releaseQueue?.maxInNamespace;
      entries.push({
        key,
        namespace: rollout.metadata.namespace ?? 'default',
        slot,
        grantedAt: runner ? (runner.current?.slotGrantedAt ?? null) : storedGrantedAt(rollout),
        ...(typeof max === 'number' ? { maxInNamespace: max } : {}),
      });
    }
    return entries;
  }

  private run(): void {
    if (!this.anyWaiting()) return;
    const { ledger, limits, log } = this.options;
    if (!ledger) {
      for (const verdict of allocateSlots(this.entries(), limits)) this.deliver(verdict);
      return;
    }
    ledger
      .pass(
        () => this.entries(),
        limits,
        (key) => this.options.runners.has(key),
      )
      .then(
        ({ verdicts, contended }) => {
          for (const verdict of verdicts) this.deliver(verdict);
          if (contended) this.schedule();
        },
        (error: unknown) => {
          log.warn(
            { err: error },
            'the release ledger could not be read or written: no slot granted; trying again',
          );
          setTimeout(this.schedule, SLOT_RETRY_MS).unref();
        },
      );
  }

  private deliver(verdict: Verdict): void {
    this.options.runners.get(verdict.key)?.queueVerdict(queuedCondition(verdict), verdict.granted);
  }

  private anyWaiting(): boolean {
    for (const runner of this.options.runners.values()) {
      if (slotOf(runner.current).kind === 'waiting') return true;
    }
    return false;
  }
}

/**
 * Whether a Rollout's machine may run at all: a suspended, invalid or deleted one stays in its
 * stored state, so a release it left queued must not hold the line of the others.
 */
function mayRun(rollout: Rollout): boolean {
  if (rollout.spec?.suspend === true || rollout.metadata.deletionTimestamp) return false;
  const invalid = rollout.status?.conditions?.find((c) => c.type === CONDITION_INVALID);
  return invalid?.status !== 'True';
}
