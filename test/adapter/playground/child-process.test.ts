import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, startProcess } from '../../../src/playground/child-process.js';
import { recordProcess, stillRunning } from '../../../src/playground/state-file.js';

const logger = pino({ level: 'silent' });

describe('startProcess', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const logDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fledge-child-'));
    dirs.push(dir);
    return dir;
  };

  it('resolves once a quickly spawned process runs, and stop() ends its whole group', async () => {
    const dir = await logDir();
    const child = await startProcess(
      {
        name: 'shell',
        command: 'sh',
        args: ['-c', 'sleep 30 & echo started; wait'],
        logFile: path.join(dir, 'shell.log'),
      },
      logger,
    );
    expect(isAlive(child.pid)).toBe(true);
    await expect.poll(() => readFile(child.logFile, 'utf8')).toContain('started');
    const grandchildren = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8'))
      .trim()
      .split(/\s+/)
      .map((pid) => recordProcess(Number(pid)));
    expect(grandchildren).toHaveLength(1);

    await child.stop();
    expect(await child.exited).toBe('SIGTERM');
    for (const sleeper of grandchildren) {
      await expect.poll(() => stillRunning(sleeper), { timeout: 10_000 }).toBe(false);
    }
  });

  it('reports a binary that does not exist as an early exit, named in its log', async () => {
    const dir = await logDir();
    const child = await startProcess(
      { name: 'ghost', command: '/nonexistent/ghost', args: [], logFile: path.join(dir, 'g.log') },
      logger,
    );
    expect(await child.exited).not.toBe(0);
    expect(await readFile(child.logFile, 'utf8')).toContain('/nonexistent/ghost');
  });

  it('rejects, naming the process, when it cannot be started at all', async () => {
    const dir = await logDir();
    await expect(
      startProcess(
        {
          name: 'lost',
          command: 'true',
          args: [],
          cwd: path.join(dir, 'nonexistent'),
          logFile: path.join(dir, 'lost.log'),
        },
        logger,
      ),
    ).rejects.toThrow(/could not start lost \(true in .*nonexistent\): spawn .* ENOENT/);
  });
});
