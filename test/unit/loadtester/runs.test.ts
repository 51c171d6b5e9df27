import { describe, expect, it, vi } from 'vitest';
import type { RunningLoad } from '../../../src/loadtester/engine.js';
import { LoadRuns, runKey } from '../../../src/loadtester/runs.js';
import type { LoadSummary } from '../../../src/loadtester/summary.js';

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

describe('LoadRuns', () => {
  it('keeps one run per key while it is going', () => {
    const runs = new LoadRuns();
    const first = fakeLoad();
    const launch = vi.fn(() => first);
    expect(runs.claim('production/api http://api/', launch).started).toBe(true);
    const again = runs.claim('production/api http://api/', launch);
    expect(again.started).toBe(false);
    expect(again.run.summary).toBe(first.summary);
    expect(launch).toHaveBeenCalledTimes(1);
    expect(runs.size).toBe(1);
  });

  it('runs different keys side by side', () => {
    const runs = new LoadRuns();
    runs.claim('a', fakeLoad);
    expect(runs.claim('b', fakeLoad).started).toBe(true);
    expect(runs.size).toBe(2);
  });

  it('starts a new run once the previous one for the key has finished', async () => {
    const runs = new LoadRuns();
    const first = fakeLoad();
    runs.claim('k', () => first);
    first.finish({ stopped: false } as LoadSummary);
    await first.summary;
    await Promise.resolve();
    expect(runs.size).toBe(0);
    expect(runs.claim('k', fakeLoad).started).toBe(true);
  });

  it('stops every run and waits for their ends', async () => {
    const runs = new LoadRuns();
    const loads = [fakeLoad(), fakeLoad()];
    runs.claim('a', () => loads[0] as RunningLoad);
    runs.claim('b', () => loads[1] as RunningLoad);
    await runs.stopAll();
    for (const load of loads) expect(load.stop).toHaveBeenCalledOnce();
    expect(runs.size).toBe(0);
  });

  it('keys runs by rollout and target URL', () => {
    const url = new URL('http://api.production:8080/x');
    expect(runKey('production', 'api', url)).toBe('production/api http://api.production:8080/x');
  });
});
