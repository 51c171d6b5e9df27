import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  processStartTime,
  readState,
  recordProcess,
  removeState,
  stillRunning,
  writeState,
} from '../../../src/playground/state-file.js';

describe('playground state file', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('reads back what was written, and nothing once removed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fledge-state-'));
    dirs.push(dir);
    expect(await readState(dir)).toBeUndefined();
    const state = {
      status: 'ready' as const,
      supervisor: recordProcess(process.pid),
      env: { KUBECONFIG: '/tmp/kubeconfig' },
      processes: [],
    };
    await writeState(dir, state);
    expect(await readState(dir)).toEqual(state);
    await removeState(dir);
    expect(await readState(dir)).toBeUndefined();
  });

  it('tells a running process from a later one that reuses its pid', () => {
    const me = recordProcess(process.pid);
    expect(stillRunning(me)).toBe(true);
    expect(stillRunning({ pid: process.pid, startTime: `${Number(me.startTime) - 1}` })).toBe(
      false,
    );
  });

  it('sees a process as gone once it has exited', async () => {
    const child = spawn('sleep', ['0']);
    const recorded = recordProcess(child.pid as number);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(stillRunning(recorded)).toBe(false);
    expect(processStartTime(child.pid as number)).toBeUndefined();
  });
});
