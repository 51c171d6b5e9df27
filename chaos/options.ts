import { Command, InvalidArgumentError } from 'commander';

export interface ChaosOptions {
  /** Decides which fault strikes when and which revisions are faulty; printed for a replay. */
  seed: number;
  /** Controller replicas killed (SIGKILL or SIGTERM), spread over the run. */
  kills: number;
  /** How long faults are injected and revisions started; the run then lets them finish. */
  minutes: number;
  apiServerRestarts: number;
  prometheusRestarts: number;
}

/** About 6 minutes of faults: with set-up and the last revisions, under 10 minutes on 2 cores. */
export const DEFAULT_KILLS = 24;
export const DEFAULT_MINUTES = 6;

const whole = (flag: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new InvalidArgumentError(`${flag} takes a whole number from 0 to ${max}`);
  }
  return n;
};

const minutes = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 60) {
    throw new InvalidArgumentError('--minutes takes a number of minutes above 0, at most 60');
  }
  return n;
};

/** One restart of each every two minutes of faults, and at least one. */
export const defaultRestarts = (runMinutes: number): number =>
  Math.max(1, Math.round(runMinutes / 2));

/**
 * `npm run chaos -- [--seed N] [--kills N] [--minutes M] [--api-restarts N]
 * [--prometheus-restarts N]`. Throws commander's error (with its exit code) on a bad flag,
 * after printing it, and after --help; `quiet` prints nothing.
 */
export function parseChaosArgs(
  argv: string[],
  randomSeed: () => number,
  quiet = false,
): ChaosOptions {
  const program = new Command('npm run chaos --')
    .description(
      'Drive canaries on a playground with two controller replicas while killing them and restarting the API server and Prometheus; check invariants from the audit log',
    )
    .option(
      '--seed <n>',
      'seed of the fault schedule and of the canaries (default: random)',
      whole('--seed', 2 ** 32 - 1),
    )
    .option(
      '--kills <n>',
      'controller kills (SIGKILL or SIGTERM)',
      whole('--kills', 1000),
      DEFAULT_KILLS,
    )
    .option('--minutes <m>', 'minutes of faults and new revisions', minutes, DEFAULT_MINUTES)
    .option(
      '--api-restarts <n>',
      'kube-apiserver restarts (default: one per 2 minutes)',
      whole('--api-restarts', 100),
    )
    .option(
      '--prometheus-restarts <n>',
      'Prometheus restarts (default: one per 2 minutes)',
      whole('--prometheus-restarts', 100),
    )
    .exitOverride()
    .allowExcessArguments(false);
  if (quiet) program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  program.parse(argv, { from: 'user' });
  const flags = program.opts<{
    seed?: number;
    kills: number;
    minutes: number;
    apiRestarts?: number;
    prometheusRestarts?: number;
  }>();
  return {
    seed: flags.seed ?? randomSeed(),
    kills: flags.kills,
    minutes: flags.minutes,
    apiServerRestarts: flags.apiRestarts ?? defaultRestarts(flags.minutes),
    prometheusRestarts: flags.prometheusRestarts ?? defaultRestarts(flags.minutes),
  };
}
