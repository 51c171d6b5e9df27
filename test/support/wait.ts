import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Stops waiting at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
}

/** A wait that ran out of time: what was awaited and what the last probe saw. */
export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
}

/**
 * Polls `probe` until it returns something other than undefined. On timeout the error says
 * what was awaited and what the last probe saw (or threw), which is what a failing e2e test
 * needs to show.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'nothing yet';
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const result = await probe();
      if (result !== undefined) return result;
      last = 'not yet';
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() > deadline) {
      throw new WaitTimeout(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${describe(last)}`,
      );
    }
    await sleep(options.intervalMs ?? 250, undefined, { signal: options.signal });
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
