import { describe, expect, it } from 'vitest';
import { coalesced } from '../../../src/controller/coalesce.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('coalesced', () => {
  it('runs once for calls made before it runs, after the calls', async () => {
    let runs = 0;
    const schedule = coalesced(() => runs++, 50);
    schedule();
    schedule();
    schedule();
    expect(runs).toBe(0);
    await turn();
    expect(runs).toBe(1);
  });

  it('runs at most once per gap through a burst of calls, and once after the last', async () => {
    const runsAt: number[] = [];
    const schedule = coalesced(() => runsAt.push(performance.now()), 50);
    const started = performance.now();
    let lastCall = started;
    let calls = 0;
    while (performance.now() - started < 300) {
      schedule();
      calls++;
      lastCall = performance.now();
      await turn();
    }
    const turns = calls;
    await sleep(120);
    // About one run per 50 ms of the 300 ms (a timer may fire a ms early), not one per turn.
    expect(turns).toBeGreaterThan(50);
    expect(runsAt.length).toBeLessThanOrEqual(300 / 50 + 2);
    expect(runsAt.at(-1)).toBeGreaterThanOrEqual(lastCall);
  });
});
