import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { startProcess } from '../../../src/playground/child-process.js';

/**
 * Makes certain the race a loaded machine makes likely: the child is seen to exit while
 * startProcess is still awaiting the close of its log file. Spawn is the real one; the log
 * file's close() is held until the child's 'exit' event has been emitted.
 */
const spawned = vi.hoisted(() => ({ exit: Promise.resolve() }));

vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>();
  const spawn = ((...args: Parameters<typeof actual.spawn>) => {
    const child = actual.spawn(...args);
    spawned.exit = new Promise((resolve) => child.once('exit', () => resolve()));
    return child;
  }) as typeof actual.spawn;
  return { ...actual, spawn };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args);
    const close = handle.close.bind(handle);
    handle.close = async () => {
      await spawned.exit;
      await close();
    };
    return handle;
  }) as typeof actual.open;
  return { ...actual, open };
});

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

it('sees the exit of a child that dies before startProcess returns', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fledge-child-race-'));
  dirs.push(dir);
  const child = await startProcess(
    { name: 'ghost', command: '/nonexistent/ghost', args: [], logFile: path.join(dir, 'g.log') },
    pino({ level: 'silent' }),
  );
  // The exit was emitted before startProcess returned, so `exited` must already be settled.
  const status = await Promise.race([child.exited, nextTurn('never seen to exit')]);
  expect(status).not.toBe('never seen to exit');
  expect(status).not.toBe(0);
});
