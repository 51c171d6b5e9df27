import type { ActorOptions, AnyActorLogic } from 'xstate';

type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

/** The longest delay a Node timer honours; a longer one fires at once (after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

interface ChainedTimer {
  timer: NodeJS.Timeout | undefined;
}

/**
 * The machine's clock: like the global timers, but a wait longer than 24.8 days is chained
 * through shorter timers, so `interval: 600h` waits 600 hours (contract §2: every duration is
 * honoured exactly or refused).
 */
export const chainingClock: Clock = {
  setTimeout(fn: () => void, ms: number): ChainedTimer {
    const due = Date.now() + ms;
    const handle: ChainedTimer = { timer: undefined };
    const arm = () => {
      const left = due - Date.now();
      handle.timer =
        left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
    };
    arm();
    return handle;
  },
  clearTimeout(handle: ChainedTimer | undefined): void {
    if (handle) clearTimeout(handle.timer);
  },
};
