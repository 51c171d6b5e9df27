import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Turns } from '../../../src/kube/turns.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Turns', () => {
  it('holds at most its number of turns and hands them on in the order asked', async () => {
    const turns = new Turns(2);
    const started: number[] = [];
    const finish = new Map<number, () => void>();
    const work = (n: number) =>
      turns.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => finish.set(n, resolve));
      });
    const all = [1, 2, 3, 4, 5].map(work);
    await settle();
    expect(started).toEqual([1, 2]);
    expect([turns.holding, turns.waiting]).toEqual([2, 3]);
    finish.get(2)?.();
    await settle();
    expect(started).toEqual([1, 2, 3]);
    // A newcomer waits behind the queue even as a turn is handed over.
    const late = work(6);
    finish.get(1)?.();
    await settle();
    expect(started).toEqual([1, 2, 3, 4]);
    for (const n of [3, 4, 5, 6]) {
      await settle();
      finish.get(n)?.();
    }
    await Promise.all([...all, late]);
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    expect([turns.holding, turns.waiting]).toEqual([0, 0]);
  });

  it('gives the turn back when the work throws', async () => {
    const turns = new Turns(1);
    await expect(turns.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(turns.holding).toBe(0);
    await expect(turns.run(async () => 'next')).resolves.toBe('next');
  });

  it('takes a waiter whose signal aborts out of the queue, with the reason', async () => {
    const turns = new Turns(1);
    expect(await turns.take()).toBe(true);
    const stop = new AbortController();
    const ran: string[] = [];
    const gone = turns.run(async () => ran.push('gone'), stop.signal);
    const next = turns.run(async () => ran.push('next'));
    await settle();
    expect(turns.waiting).toBe(2);
    stop.abort(new Error('leadership ended'));
    await expect(gone).rejects.toThrow('leadership ended');
    expect(turns.waiting).toBe(1);
    turns.release();
    await next;
    expect(ran).toEqual(['next']);
    await expect(turns.run(async () => 1, AbortSignal.abort(new Error('stopped')))).rejects.toThrow(
      'stopped',
    );
  });

  it('puts one listener on a signal that a thousand waiters share', async () => {
    const turns = new Turns(1);
    expect(await turns.take()).toBe(true);
    const term = new AbortController();
    const waiters = Array.from({ length: 1_000 }, () => turns.take(term.signal));
    expect(getEventListeners(term.signal, 'abort')).toHaveLength(1);
    term.abort(new Error('term ended'));
    for (const waiter of waiters) await expect(waiter).rejects.toThrow('term ended');
    expect(turns.waiting).toBe(0);
  });

  it('refuses a turn once maxWaiting wait, and runs nothing', async () => {
    const turns = new Turns(1, 1);
    expect(await turns.take()).toBe(true);
    const waiting = turns.take();
    expect(await turns.take()).toBe(false);
    let ran = false;
    await expect(
      turns.run(async () => {
        ran = true;
      }),
    ).rejects.toThrow('1 already wait for one of 1');
    expect(ran).toBe(false);
    turns.release();
    expect(await waiting).toBe(true);
  });

  it('hands out no turn while paused, keeps the held ones, and serves the waiting first on resume', async () => {
    const turns = new Turns(2);
    expect(await turns.take()).toBe(true);
    turns.pause();
    const order: string[] = [];
    const waiting = ['a', 'b', 'c'].map((name) => turns.take().then(() => order.push(name)));
    turns.release();
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(turns.holding).toBe(0);
    turns.resume();
    await Promise.all(waiting.slice(0, 2));
    expect(order).toEqual(['a', 'b']);
    expect(turns.waiting).toBe(1);
    turns.release();
    await waiting[2];
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('refuses a number of turns that is not a positive integer', () => {
    expect(() => new Turns(0)).toThrow(/positive integer/);
    expect(() => new Turns(1.5)).toThrow(/positive integer/);
  });
});
