import type { ChildProcessHandle } from './child-process.js';

/**
 * A playground process that can be stopped and started again on demand with the same
 * command line (same port, same data directory), as a chaos run does to the API server and
 * Prometheus. Only an exit nobody asked for counts as the process dying.
 */
export interface Restartable {
  readonly name: string;
  /** The process running now; a new one after each restart. */
  readonly current: ChildProcessHandle;
  /** Resolves with a description the first time the process exits without stop() or restart(). */
  readonly died: Promise<string>;
  /** Stops the process (SIGTERM, then SIGKILL) and resolves once a new one is ready. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `launch`, which starts the process and resolves once it is ready (stopping it itself
 * when it never gets ready), and calls it again on each restart. Restarts and the final stop
 * queue behind one another, so a stop during a restart stops the new process.
 */
export async function startRestartable(
  name: string,
  launch: () => Promise<ChildProcessHandle>,
): Promise<Restartable> {
  let current = await launch();
  let stopped = false;
  const expectedExits = new WeakSet<ChildProcessHandle>();
  let reportDeath: (description: string) => void = () => {};
  const died = new Promise<string>((resolve) => {
    reportDeath = resolve;
  });
  const watch = (child: ChildProcessHandle) => {
    void child.exited.then((status) => {
      if (!expectedExits.has(child))
        reportDeath(`${name} exited (${status}); see ${child.logFile}`);
    });
  };
  watch(current);

  let queue: Promise<void> = Promise.resolve();
  const enqueue = (step: () => Promise<void>): Promise<void> => {
    const next = queue.then(step);
    queue = next.catch(() => undefined);
    return next;
  };
  const stopCurrent = async () => {
    expectedExits.add(current);
    await current.stop();
  };

  return {
    name,
    get current() {
      return current;
    },
    died,
    restart: () =>
      enqueue(async () => {
        if (stopped) throw new Error(`cannot restart ${name}: the playground is stopping`);
        await stopCurrent();
        try {
          current = await launch();
        } catch (error) {
          reportDeath(`${name} did not start again after a restart: ${(error as Error).message}`);
          throw error;
        }
        watch(current);
      }),
    stop: () =>
      enqueue(async () => {
        stopped = true;
        await stopCurrent();
      }),
  };
}
