import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AutoscalerWatch } from '../../../src/controller/autoscaler-watch.js';
import type { WatchSet } from '../../../src/controller/watch-set.js';
import type { AutoscalerVersion } from '../../../src/controller/workload/autoscalers.js';
import type { WatchedAutoscaler } from '../../../src/controller/workload/watched-autoscaler.js';
import type { ResourceType } from '../../../src/kube/resources.js';

/** A watch of one version that lists at once, and can be told its type is no longer served. */
function fakeSet(type: ResourceType) {
  const missing: (() => void)[] = [];
  const set = {
    type,
    hasSynced: false,
    stopped: false,
    on(event: string, listener: () => void) {
      if (event === 'missing') missing.push(listener);
      return set;
    },
    start() {
      set.hasSynced = true;
    },
    async stop() {
      set.stopped = true;
    },
    get: () => undefined,
    list: () => [],
    goMissing: () => {
      for (const listener of missing) listener();
    },
  };
  return set;
}

function watchOf(versions: (AutoscalerVersion | Error)[]) {
  const sets: ReturnType<typeof fakeSet>[] = [];
  const failures: unknown[] = [];
  const watch = new AutoscalerWatch({
    discover: async () => {
      const next = versions.shift() ?? new Error('asked once too often');
      if (next instanceof Error) throw next;
      return next;
    },
    watch: (type) => {
      const set = fakeSet(type);
      sets.push(set);
      return set as unknown as WatchSet<WatchedAutoscaler>;
    },
    unavailable: (cause) => failures.push(cause),
    retryMs: 5,
  });
  return { watch, sets, failures };
}

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await sleep(5);
  if (!check()) throw new Error(`never: ${what}`);
};

describe('AutoscalerWatch', () => {
  it('watches the version discovery picks, and no cache before it has listed', async () => {
    const { watch, sets } = watchOf(['v2']);
    expect(watch.cache()).toBeUndefined();
    watch.start();
    await until('a watch', () => sets.length === 1);
    expect(sets[0]?.type.version).toBe('v2');
    expect(watch.cache()).toBe(sets[0]);
    await watch.stop();
    expect(sets[0]?.stopped).toBe(true);
  });

  it('drops the cache when its version stops being served, and watches the one served then', async () => {
    const { watch, sets } = watchOf(['v2beta2', 'v2']);
    watch.start();
    await until('a watch', () => sets.length === 1);
    sets[0]?.goMissing();
    expect(watch.cache()).toBeUndefined();
    await until('a watch of the other version', () => sets.length === 2);
    expect(sets[0]?.stopped).toBe(true);
    expect(sets[1]?.type.version).toBe('v2');
    expect(watch.cache()).toBe(sets[1]);
    await watch.stop();
  });

  it('asks discovery again when it failed or found neither version', async () => {
    const { watch, sets, failures } = watchOf([new Error('neither served'), 'v2beta2']);
    watch.start();
    await until('a watch', () => sets.length === 1);
    expect(failures).toEqual([new Error('neither served')]);
    expect(sets[0]?.type.version).toBe('v2beta2');
    await watch.stop();
  });
});
