import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimAddressBlock } from '../../../src/playground/address-blocks.js';
import { recordProcess } from '../../../src/playground/state-file.js';

describe('claimAddressBlock', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const claimsDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fledge-blocks-'));
    dirs.push(dir);
    return dir;
  };

  it('gives concurrent playgrounds different blocks, never 127.1', async () => {
    const dir = await claimsDir();
    const blocks = await Promise.all([1, 2, 3].map(() => claimAddressBlock(dir)));
    const prefixes = blocks.map((b) => b.prefix);
    expect(new Set(prefixes).size).toBe(3);
    expect(prefixes).not.toContain('127.1');
  });

  it('hands a released block out again', async () => {
    const dir = await claimsDir();
    const first = await claimAddressBlock(dir);
    await first.release();
    expect(await readdir(dir)).toEqual([]);
    expect((await claimAddressBlock(dir)).prefix).toBe(first.prefix);
  });

  it('takes over the block of a process that has exited', async () => {
    const dir = await claimsDir();
    const child = spawn('true');
    const gone = recordProcess(child.pid as number);
    await new Promise((resolve) => child.once('exit', resolve));
    await writeFile(path.join(dir, '127.2'), JSON.stringify(gone));
    await writeFile(path.join(dir, '127.3'), JSON.stringify(recordProcess(process.pid)));

    expect((await claimAddressBlock(dir)).prefix).toBe('127.2');
    expect((await claimAddressBlock(dir)).prefix).toBe('127.4');
  });
});
