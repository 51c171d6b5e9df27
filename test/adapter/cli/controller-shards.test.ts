import { describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

describe('fledge controller --shards', () => {
  it.each([['0'], ['65'], ['2.5'], ['many']])(
    'refuses --shards %s, naming the range',
    async (n) => {
      const result = await runCli(['controller', '--shards', n]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('--shards');
      expect(result.stderr).toContain('from 1 to 64');
    },
  );

  it('refuses FLEDGE_SHARDS=0 the same way', async () => {
    const result = await runCli(['controller'], { FLEDGE_SHARDS: '0' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('from 1 to 64');
  });

  it('refuses several shards without the Leases that hold them', async () => {
    const result = await runCli(['controller', '--shards', '2', '--no-leader-elect']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--shards 2 needs the shard Leases');
  });
});
