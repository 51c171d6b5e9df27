import type { Random } from './random.js';

export type Fault =
  | {
      kind: 'kill';
      signal: 'SIGKILL' | 'SIGTERM';
      /** The replica holding the Lease, or the other one. */
      target: 'leader' | 'follower';
      /** A killed replica is started again (as a new identity) after this delay. */
      restartAfterMs: number;
    }
  | { kind: 'restart-apiserver' }
  | { kind: 'restart-prometheus' };

export interface ScheduledFault {
  /** From the start of the faults. */
  atMs: number;
  fault: Fault;
}

export interface ScheduleOptions {
  kills: number;
  apiServerRestarts: number;
  prometheusRestarts: number;
  durationMs: number;
}

/** Most kills hit the leader, since that is where a hand-over can go wrong. */
const leaderShare = 0.7;
const maxRestartDelayMs = 3000;

/**
 * When each fault strikes: kills one per equal slot of the run at a random moment inside
 * its middle (so two kills are never closer than a fifth of a slot), and each kind of
 * restart spread evenly, the API server's and Prometheus' offset from each other.
 */
export function faultSchedule(options: ScheduleOptions, random: Random): ScheduledFault[] {
  const schedule: ScheduledFault[] = [];
  const killSlot = options.durationMs / Math.max(1, options.kills);
  for (let i = 0; i < options.kills; i++) {
    schedule.push({
      atMs: Math.round((i + 0.1 + 0.8 * random.next()) * killSlot),
      fault: {
        kind: 'kill',
        signal: random.chance(0.5) ? 'SIGKILL' : 'SIGTERM',
        target: random.chance(leaderShare) ? 'leader' : 'follower',
        restartAfterMs: random.int(0, maxRestartDelayMs),
      },
    });
  }
  const spread = (count: number, offset: number, fault: Fault) => {
    for (let i = 0; i < count; i++) {
      schedule.push({ atMs: Math.round(((i + offset) * options.durationMs) / count), fault });
    }
  };
  spread(options.apiServerRestarts, 0.4, { kind: 'restart-apiserver' });
  spread(options.prometheusRestarts, 0.75, { kind: 'restart-prometheus' });
  return schedule.sort((a, b) => a.atMs - b.atMs);
}
