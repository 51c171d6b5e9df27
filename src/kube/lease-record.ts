import { maxTimerMs } from './abort.js';

/**
 * The decisions of leader election through a coordination.k8s.io/v1 Lease, without I/O: the
 * timings and their bounds, when a record counts as expired, and what to write next.
 */

/** The fields of a Lease's spec that leader election reads and writes. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseTimings {
  /** How long others wait, after they last saw the record change, before taking over. */
  leaseDurationMs: number;
  /** How long a successful write keeps this process leading, from the moment it was sent. */
  renewDeadlineMs: number;
  /** Between two attempts, and the most any one attempt may take. */
  retryPeriodMs: number;
}

/**
 * Fills in the defaults (client-go's 15 s / 10 s / 2 s, scaled to leaseDuration) and refuses
 * timings under which two replicas could lead at once or a timer would fire early.
 */
export function leaseTimings(given: Partial<LeaseTimings> = {}): LeaseTimings {
  const leaseDurationMs = given.leaseDurationMs ?? 15_000;
  const timings = {
    leaseDurationMs,
    renewDeadlineMs: given.renewDeadlineMs ?? Math.round((leaseDurationMs * 2) / 3),
    retryPeriodMs: given.retryPeriodMs ?? Math.round((leaseDurationMs * 2) / 15),
  };
  for (const [field, value] of Object.entries(timings)) {
    if (!Number.isFinite(value) || value <= 0 || value > maxTimerMs) {
      throw new Error(
        `leader election: ${field} is ${value} ms; it must be a positive number of at most ${maxTimerMs} ms (24.8 days), as Node fires longer timers at once`,
      );
    }
  }
  if (timings.leaseDurationMs < 1_000) {
    throw new Error(
      `leader election: leaseDuration is ${timings.leaseDurationMs} ms; a Lease counts whole seconds, so give at least 1 s`,
    );
  }
  if (timings.renewDeadlineMs >= timings.leaseDurationMs) {
    throw new Error(
      `leader election: renewDeadline (${timings.renewDeadlineMs} ms) must be shorter than leaseDuration (${timings.leaseDurationMs} ms), or a leader that cannot renew would still lead when another replica takes over; lower the renew deadline or lengthen the lease`,
    );
  }
  if (timings.retryPeriodMs >= timings.renewDeadlineMs) {
    throw new Error(
      `leader election: retryPeriod (${timings.retryPeriodMs} ms) must be shorter than renewDeadline (${timings.renewDeadlineMs} ms), or a leader would lose its term before its next renewal`,
    );
  }
  return timings;
}

/** What others see as the lease's length: whole seconds, rounded up so they never wait less than leaseDuration. */
export const leaseDurationSeconds = (timings: LeaseTimings): number =>
  Math.ceil(timings.leaseDurationMs / 1000);

/**
 * The record as this process last saw it change. Expiry is judged from `at`, on this
 * process's own clock, never from the timestamps in the record: clocks of different nodes
 * may disagree, the rate at which they run does not (much).
 */
export interface Observation {
  record: string;
  holder: string;
  at: number;
  durationMs: number;
}

export function observe(
  previous: Observation | undefined,
  spec: LeaseSpec,
  now: number,
): Observation {
  const record = JSON.stringify([
    spec.holderIdentity ?? '',
    spec.leaseDurationSeconds ?? 0,
    spec.acquireTime ?? '',
    spec.renewTime ?? '',
    spec.leaseTransitions ?? 0,
  ]);
  if (previous?.record === record) return previous;
  return {
    record,
    holder: spec.holderIdentity ?? '',
    at: now,
    durationMs: (spec.leaseDurationSeconds ?? 0) * 1000,
  };
}

export const expiresAt = (observation: Observation): number =>
  observation.at + observation.durationMs;

export type LeaseStep =
  | { action: 'follow'; holder: string; expiresAt: number }
  | {
      action: 'write';
      spec: LeaseSpec;
      /** A new term begins: this process was not leading before this write. */
      acquiring: boolean;
      /** The holder whose lease this process judged expired, and when, on its own clock. */
      tookOverFrom?: { identity: string; expiredAt: number };
    };

export interface Candidate {
  identity: string;
  /** Whether this process is in a term now. */
  leading: boolean;
  leaseDurationSeconds: number;
}

/**
 * What to do with the Lease as read (`current` undefined: there is none). A process that
 * is not in a term always acquires, even a record that still names it, so every term gets
 * its own number (leaseTransitions) and "who wrote this, in which term" is never ambiguous.
 * A process in a term that finds another name (or none) in the record follows: its term ends.
 */
export function nextStep(
  current: LeaseSpec | undefined,
  observation: Observation | undefined,
  candidate: Candidate,
  now: number,
  wallClock: Date,
): LeaseStep {
  const holder = current?.holderIdentity ?? '';
  const expiry = observation ? expiresAt(observation) : now;
  // A leader whose record someone else changed (taken or released) ends its term before anything else.
  if (holder !== candidate.identity && (candidate.leading || (holder && now < expiry))) {
    return { action: 'follow', holder, expiresAt: expiry };
  }
  const renewing = candidate.leading;
  const time = microTime(wallClock);
  const transitions = current ? (current.leaseTransitions ?? 0) + (renewing ? 0 : 1) : 0;
  return {
    action: 'write',
    acquiring: !renewing,
    spec: {
      holderIdentity: candidate.identity,
      leaseDurationSeconds: candidate.leaseDurationSeconds,
      acquireTime: renewing ? current?.acquireTime : time,
      renewTime: time,
      leaseTransitions: transitions,
    },
    ...(holder && holder !== candidate.identity
      ? { tookOverFrom: { identity: holder, expiredAt: expiry } }
      : {}),
  };
}

/** The MicroTime format of Lease timestamps: RFC 3339 with microseconds. */
export const microTime = (date: Date): string => date.toISOString().replace(/Z$/, '000Z');
