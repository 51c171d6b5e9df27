import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/controller/queue.js';

const options = { concurrency: 4, baseBackoffMs: 5, maxBackoffMs: 20 };

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('never runs the same key twice at once, and runs it again when asked meanwhile', async () => {
    const gate = deferred();
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const queue = new WorkQueue(async () => {
      runs++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      if (runs === 1) await gate.promise;
      concurrent--;
    }, options);
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    gate.resolve();
    await queue.drain();
    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(2);
  });

  it('collapses repeated requests for a waiting key into one run', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        seen.push(key);
      },
      { ...options, concurrency: 1 },
    );
    const gate = deferred();
    const blocker = new WorkQueue(() => gate.promise, options);
    blocker.add('x');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/b');
    queue.add('ns/b');
    gate.resolve();
    await queue.drain();
    await blocker.drain();
    expect(seen.filter((k) => k === 'ns/b')).toHaveLength(1);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    const gate = deferred();
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = new WorkQueue(
      async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await gate.promise;
        concurrent--;
      },
      { ...options, concurrency: 2 },
    );
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await new Promise((r) => setTimeout(r, 5));
    expect(maxConcurrent).toBe(2);
    gate.resolve();
    await queue.drain();
  });

  it('retries failed work with backoff and reports each error', async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    const done = deferred();
    const queue = new WorkQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts}`);
        done.resolve();
      },
      { ...options, onError: (_key, error) => errors.push(error) },
    );
    queue.add('ns/a');
    await done.promise;
    expect(attempts).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(['attempt 1', 'attempt 2']);
    await queue.stop();
  });

  it('takes no work after stop', async () => {
    let runs = 0;
    const queue = new WorkQueue(async () => {
      runs++;
    }, options);
    await queue.stop();
    queue.add('ns/a');
    queue.addAfter('ns/b', 1);
    await new Promise((r) => setTimeout(r, 10));
    expect(runs).toBe(0);
  });

  it('lets the event loop turn while work that waits for nothing runs', async () => {
    // Each run takes CPU and resolves without I/O, like a settled Rollout restored from the
    // caches: before, 2,000 of them ran back to back and the timer fired only after the last.
    const runs = 2_000;
    let done = 0;
    const queue = new WorkQueue(
      async () => {
        const end = performance.now() + 0.05;
        while (performance.now() < end);
        done++;
      },
      { ...options, concurrency: 16 },
    );
    let doneWhenTimerFired: number | undefined;
    setTimeout(() => {
      doneWhenTimerFired = done;
    }, 0);
    for (let i = 0; i < runs; i++) queue.add(`ns/app-${i}`);
    await queue.drain();
    expect(done).toBe(runs);
    // The timer fires once the first slice is over, with at most that slice's runs done
    // (and the 16 that the adds start before any slice ends).
    expect(doneWhenTimerFired).toBeLessThan(runs / 2);
  });
});
