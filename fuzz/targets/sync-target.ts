import type { CaseResult } from '../tally.js';

/**
 * A target whose cases are synchronous calls (the validator, the converter). Each case is a
 * pure function of (seed, index), so a worker that hung can be replaced and carry on.
 */
export interface SyncTarget {
  name: string;
  defaultCount: number;
  runCase(seed: number, index: number): CaseResult;
}
