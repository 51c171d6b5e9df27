import os from 'node:os';
import { WaitTimeout } from '../test/support/wait.js';

/**
 * The machine, not fledge, stopped the run: a playground part did not start or come back
 * within its bound, or the API server left the run's own calls unanswered for a minute. Such
 * a run is not made (no verdict either way), unless the part of it that ran broke an invariant.
 */
export class EnvironmentFailure extends Error {
  override readonly name = 'EnvironmentFailure';
}

/** How busy the machine was, as a person reading a run that was not made needs to know. */
export interface MachineLoad {
  /** Load average over 1, 5 and 15 minutes. */
  loadAverage: [number, number, number];
  cores: number;
}

export function machineLoad(): MachineLoad {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return { loadAverage: [one, five, fifteen], cores: os.availableParallelism() };
}

export function describeLoad({ loadAverage, cores }: MachineLoad): string {
  const [one, five, fifteen] = loadAverage.map((n) => n.toFixed(1));
  return `load average ${one}, ${five}, ${fifteen} (1, 5, 15 min) on ${cores} cores`;
}

/** Runs `call`, turning a timeout of the run's own wait into an EnvironmentFailure. */
export async function environmentBound<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof WaitTimeout)) throw error;
    throw new EnvironmentFailure(`${what}: ${error.message}`, { cause: error });
  }
}
