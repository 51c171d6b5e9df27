import { mkdir } from 'node:fs/promises';
import { pino } from 'pino';
import type { FledgeOptions } from './fledge-services.js';
import { playgroundStateDir } from './paths.js';
import { type Playground, startPlayground } from './playground.js';
import { recordProcess, removeState, writeState } from './state-file.js';

export interface SupervisorOptions {
  name: string;
  clusters?: string[];
  fledge?: FledgeOptions;
}

/**
 * The body of `fledge playground run`: starts a playground in this process, publishes its
 * state for `up`, `env` and `down`, and keeps it until SIGTERM or SIGINT, or until one of its
 * processes dies, which it records as a failure. Resolves with the process exit code.
 */
export async function runSupervisor(options: SupervisorOptions): Promise<number> {
  const logger = pino();
  const stateDir = playgroundStateDir(options.name);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const supervisor = recordProcess(process.pid);
  await writeState(stateDir, { status: 'starting', supervisor });

  let stopRequested: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  let playground: Playground;
  try {
    playground = await Promise.race([
      startPlayground({ ...options, logger }),
      stopSignal.then((signal) => {
        throw new Error(`stopped by ${signal} while starting`);
      }),
    ]);
  } catch (error) {
    const message = (error as Error).message;
    logger.error({ err: error }, 'playground failed to start');
    await writeState(stateDir, { status: 'failed', supervisor, error: message });
    return 1;
  }
  await writeState(stateDir, {
    status: 'ready',
    supervisor,
    env: playground.env(),
    processes: playground.pids().map(recordProcess),
  });

  const outcome = await Promise.race([
    stopSignal.then((signal) => ({ signal })),
    playground.failure.then((failure) => ({ failure })),
  ]);
  await playground.stop();
  if ('failure' in outcome) {
    logger.error({ failure: outcome.failure }, 'playground process died; stopped the rest');
    await writeState(stateDir, { status: 'failed', supervisor, error: outcome.failure });
    return 1;
  }
  logger.info({ signal: outcome.signal }, 'playground stopped');
  await removeState(stateDir);
  return 0;
}
