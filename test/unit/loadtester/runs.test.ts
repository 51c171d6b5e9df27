import { describe, expect, it, vi } from 'vitest';
import type { RunningLoad } from '../../../src/loadtester/engine.js';
import { type Claim, LoadRuns, runKey } from '../../../src/loadtester/runs.js';
import type { LoadSummary } from '../../../src/loadtester/summary.js';

const MiB = 1024 * 1024;
const roomy = { maxRuns: 10, memoryBytes: 100 * MiB };

function fakeLoad() {
  let finish: (summary: LoadSummary) => void = () => {};
  const summary = new Promise<LoadSummary>((resolve) => {
    finish = resolve;
  });
  const load: RunningLoad & { finish: typeof finish } = {
    summary,
    stop: vi.fn(() => finish({ stopped: true } as LoadSummary)),
    finish,
  };
  return load;
}

function runOf(claim: Claim) {
  if (claim.outcome === 'refused') throw new Error(claim.reason);
  return claim.run;
}

describe('LoadRuns', () => {
  it('keeps one run per key while it is going', () => {
    const runs = new LoadRuns(roomy);
    const first = fakeLoad();
    const launch = vi.fn(() => first);
    expect(runs.claim('production/api http://api/', MiB, launch).outcome).toBe('started');
    const again = runs.claim('production/api http://api/', MiB, launch);
    expect(again.outcome).toBe('running');
    expect(runOf(again).summary).toBe(first.summary);
    expect(runs.find('production/api http://api/')?.summary).toBe(first.summary);
    expect(launch).toHaveBeenCalledTimes(1);
    expect(runs.size).toBe(1);
  });

  it('runs different keys side by side', () => {
    const runs = new LoadRuns(roomy);
    runs.claim('a', MiB, fakeLoad);
    expect(runs.claim('b', MiB, fakeLoad).outcome).toBe('started');
    expect(runs.size).toBe(2);
    expect(runs.memoryBytes).toBe(2 * MiB);
  });

  it('refuses a run past the most runs at once, saying to retry, and launches nothing', () => {
    const runs = new LoadRuns({ maxRuns: 2, memoryBytes: 100 * MiB });
    runs.claim('a', MiB, fakeLoad);
    runs.claim('b', MiB, fakeLoad);
    const launch = vi.fn(fakeLoad);
    const refused = runs.claim('c', MiB, launch);
    expect(refused).toEqual({
      outcome: 'refused',
      reason: '2 load runs are going, the most the loadtester runs at once: retry when one ends',
    });
    expect(launch).not.toHaveBeenCalled();
    expect(runs.claim('a', MiB, launch).outcome).toBe('running');
  });

  it('refuses a run that would pass the memory budget, and admits it once memory is freed', async () => {
    const runs = new LoadRuns({ maxRuns: 10, memoryBytes: 10 * MiB });
    const big = fakeLoad();
    runs.claim('a', 8 * MiB, () => big);
    const refused = runs.claim('b', 4 * MiB, fakeLoad);
    expect(refused.outcome).toBe('refused');
    expect(refused.outcome === 'refused' && refused.reason).toContain(
      'needs about 4.0 MiB and the loadtester has 2.0 of 10.0 MiB left',
    );
    big.finish({ stopped: false } as LoadSummary);
    await big.summary;
    await Promise.resolve();
    expect(runs.memoryBytes).toBe(0);
    expect(runs.claim('b', 4 * MiB, fakeLoad).outcome).toBe('started');
  });

  it('starts a new run once the previous one for the key has finished', async () => {
    const runs = new LoadRuns(roomy);
    const first = fakeLoad();
    runs.claim('k', MiB, () => first);
    first.finish({ stopped: false } as LoadSummary);
    await first.summary;
    await Promise.resolve();
    expect(runs.size).toBe(0);
    expect(runs.claim('k', MiB, fakeLoad).outcome).toBe('started');
  });

  it('stops every run and waits for their ends', async () => {
    const runs = new LoadRuns(roomy);
    const loads = [fakeLoad(), fakeLoad()];
    runs.claim('a', MiB, () => loads[0] as RunningLoad);
    runs.claim('b', MiB, () => loads[1] as RunningLoad);
    await runs.stopAll();
    for (const load of loads) expect(load.stop).toHaveBeenCalledOnce();
    expect(runs.size).toBe(0);
  });

  it('keys runs by rollout and target URL, without the fragment that never leaves', () => {
    const url = new URL('http://api.production:8080/x?y=1');
    expect(runKey('production', 'api', url)).toBe(
      'production/api http://api.production:8080/x?y=1',
    );
    expect(runKey('production', 'api', new URL('http://api.production:8080/x?y=1#b'))).toBe(
      runKey('production', 'api', url),
    );
  });
});
