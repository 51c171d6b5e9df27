import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Turns } from '../../../src/kube/turns.js';
import { UrgentFirst } from '../../../src/kube/urgent-first.js';

describe('UrgentFirst', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds routine requests while an urgent one is in flight, and for the grace after it', () => {
    const routine = new Turns(4);
    const first = new UrgentFirst(routine, 200, 2_000);
    first.started();
    expect(routine.paused).toBe(true);
    vi.advanceTimersByTime(150);
    first.ended();
    vi.advanceTimersByTime(150);
    // A rollback's route write, after its status write: the hold goes on.
    first.started();
    vi.advanceTimersByTime(100);
    first.ended();
    vi.advanceTimersByTime(199);
    expect(routine.paused).toBe(true);
    vi.advanceTimersByTime(1);
    expect(routine.paused).toBe(false);
  });

  it('gives routine requests their turn after the longest hold, and does not hold again until no urgent one is in flight', () => {
    const routine = new Turns(4);
    const first = new UrgentFirst(routine, 200, 2_000);
    first.started();
    vi.advanceTimersByTime(2_000);
    expect(routine.paused).toBe(false);
    first.started();
    expect(routine.paused).toBe(false);
    first.ended();
    first.ended();
    first.started();
    expect(routine.paused).toBe(true);
  });

  it('lets a waiting routine request go once the hold ends', async () => {
    const routine = new Turns(1);
    const first = new UrgentFirst(routine, 200, 2_000);
    first.started();
    let sent = false;
    const waiting = routine.take().then(() => {
      sent = true;
    });
    first.ended();
    await Promise.resolve();
    expect(sent).toBe(false);
    vi.advanceTimersByTime(200);
    await waiting;
    expect(sent).toBe(true);
  });

  // The hold's timer was unref'd: a script whose routine request waited behind it exited
  // with its work pending.
  it('keeps the process alive while it holds routine requests', () => {
    vi.useRealTimers();
    const timers = () =>
      process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const routine = new Turns(4);
    const first = new UrgentFirst(routine, 200, 2_000);
    const before = timers();
    first.started();
    first.ended();
    expect(routine.paused).toBe(true);
    expect(timers()).toBe(before + 1);
    first.started();
    first.ended();
  });
});
