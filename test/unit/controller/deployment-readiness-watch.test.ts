import { setMaxListeners } from 'node:events';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DeploymentReadinessWatch,
  fallbackReadMs,
  type ReadinessSubject,
} from '../../../src/controller/deployment-readiness-watch.js';
import { ProgressDeadline } from '../../../src/controller/effects/context.js';
import { deploymentReadiness } from '../../../src/controller/workload/readiness.js';
import { watchedDeployment } from '../../../src/controller/world.js';
import { apiDeployment, rolledOutStatus } from '../../support/deployments.js';

/** A Deployment `prod/api` of 2 replicas at `generation`, `available` of them available. */
function copy(resourceVersion: string, generation: number, available: number): ReadinessSubject {
  return watchedDeployment(
    apiDeployment(rolledOutStatus({ generation, replicas: 2, available }), {
      generation,
      resourceVersion,
    }) as never,
  );
}

/** The watch cache of one Deployment, and the API server's answers to GETs, in turn. */
function given(cached: ReadinessSubject | undefined, answers: ReadinessSubject[]) {
  const state = { cached, reads: 0 };
  const watch = new DeploymentReadinessWatch({ get: () => state.cached });
  const deliver = (next: ReadinessSubject | undefined) => {
    state.cached = next;
    watch.changed('prod', 'api');
  };
  const controller = new AbortController();
  let settled: 'pending' | 'ready' | Error = 'pending';
  const start = (
    options: { deadline?: number; onRead?: () => void; written?: ReadinessSubject } = {},
  ) => {
    const waiting = watch
      .wait({
        namespace: 'prod',
        name: 'api',
        ...(options.written ? { written: options.written } : {}),
        read: async () => {
          const answer = answers[Math.min(state.reads, answers.length - 1)] ?? null;
          state.reads += 1;
          options.onRead?.();
          return answer;
        },
        check: (deployment) => {
          if (!deployment) return { done: false, reason: 'missing' };
          const readiness = deploymentReadiness(deployment as unknown as V1Deployment);
          return { done: readiness.ready, reason: readiness.reason };
        },
        deadline: options.deadline ?? Date.now() + 600_000,
        signal: controller.signal,
        pollMs: 1000,
        what: 'canary prod/api becoming ready',
      })
      .then(
        () => {
          settled = 'ready';
        },
        (error: Error) => {
          settled = error;
        },
      );
    return waiting;
  };
  return { watch, state, deliver, start, controller, settled: () => settled };
}

const turns = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

afterEach(() => {
  vi.useRealTimers();
});

describe('DeploymentReadinessWatch', () => {
  it('is done on its first read when the Deployment is ready already, and keeps no waiter', async () => {
    const world = given(copy('5', 2, 2), [copy('5', 2, 2)]);
    await world.start();
    expect(world.settled()).toBe('ready');
    expect(world.state.reads).toBe(1);
    expect(world.watch.size).toBe(0);
  });

  it('wakes on the watch event that shows it ready, with no further read', async () => {
    const world = given(copy('6', 2, 0), [copy('6', 2, 0)]);
    const waiting = world.start();
    await turns();
    expect(world.settled()).toBe('pending');
    expect(world.watch.size).toBe(1);
    world.deliver(copy('7', 2, 1));
    await turns();
    expect(world.settled()).toBe('pending');
    world.deliver(copy('8', 2, 2));
    await waiting;
    expect(world.settled()).toBe('ready');
    expect(world.state.reads).toBe(1);
    expect(world.watch.size).toBe(0);
  });

  it('does not lose the events that arrive while its first read is in flight', async () => {
    const world = given(copy('5', 1, 2), [copy('6', 2, 0)]);
    await world.start({
      onRead: () => {
        world.deliver(copy('6', 2, 0));
        world.deliver(copy('7', 2, 2));
      },
    });
    expect(world.settled()).toBe('ready');
    expect(world.state.reads).toBe(1);
  });

  // A naive wait that reads the cache would take the pre-write copy for ready: this fails on it.
  it("ignores the cached copy from before the effect's own write, whose older generation looks ready", async () => {
    const world = given(copy('5', 1, 2), [copy('6', 2, 0)]);
    const waiting = world.start();
    await turns();
    // A change reported while the cache still holds generation 1 (a re-list, say).
    world.deliver(copy('5', 1, 2));
    await turns();
    expect(world.settled()).toBe('pending');
    world.deliver(copy('6', 2, 0));
    await turns();
    expect(world.settled()).toBe('pending');
    world.deliver(copy('7', 2, 2));
    await waiting;
    expect(world.settled()).toBe('ready');
  });

  it("ignores a cached copy of the same generation until the watch has delivered the read's version", async () => {
    // The cache says ready; the read, newer, says a replica went away since.
    const world = given(copy('7', 2, 2), [copy('8', 2, 1)]);
    const waiting = world.start();
    await turns();
    world.deliver(copy('7', 2, 2));
    await turns();
    expect(world.settled()).toBe('pending');
    world.deliver(copy('8', 2, 1));
    world.deliver(copy('9', 2, 2));
    await waiting;
    expect(world.settled()).toBe('ready');
  });

  it('takes a later generation at once, whatever its resourceVersion', async () => {
    const world = given(copy('5', 1, 2), [copy('6', 2, 0)]);
    const waiting = world.start();
    await turns();
    world.deliver(copy('12', 3, 2));
    await waiting;
    expect(world.settled()).toBe('ready');
  });

  it('is removed when its signal aborts, and says it stopped', async () => {
    const world = given(copy('6', 2, 0), [copy('6', 2, 0)]);
    const waiting = world.start();
    await turns();
    expect(world.watch.size).toBe(1);
    world.controller.abort();
    await waiting;
    expect(String(world.settled())).toContain('stopped waiting: canary prod/api becoming ready');
    expect(world.watch.size).toBe(0);
    world.deliver(copy('7', 2, 2));
    expect(world.state.reads).toBe(1);
  });

  it('reads the API server again every max(10 × poll, 10 s), so a lost event cannot hang it', async () => {
    vi.useFakeTimers();
    expect(fallbackReadMs(1000)).toBe(10_000);
    expect(fallbackReadMs(5000)).toBe(50_000);
    const world = given(copy('6', 2, 0), [copy('6', 2, 0), copy('9', 2, 2)]);
    const waiting = world.start();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(world.state.reads).toBe(1);
    expect(world.settled()).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(world.state.reads).toBe(2);
    expect(world.settled()).toBe('ready');
    expect(world.watch.size).toBe(0);
  });

  it("starts from the answer to the effect's own write: no GET, and the pre-write copy is ignored", async () => {
    const world = given(copy('5', 1, 2), [copy('6', 2, 0)]);
    const waiting = world.start({ written: copy('6', 2, 0) });
    await turns();
    expect(world.settled()).toBe('pending');
    world.deliver(copy('7', 2, 2));
    await waiting;
    expect(world.settled()).toBe('ready');
    expect(world.state.reads).toBe(0);
  });

  // With the GET's rule (same generation only once its version is delivered) this hangs.
  it('takes a copy of the written generation that the watch delivered before the wait began', async () => {
    const world = given(copy('7', 2, 2), [copy('7', 2, 2)]);
    await world.start({ written: copy('6', 2, 0) });
    expect(world.settled()).toBe('ready');
    expect(world.state.reads).toBe(0);
  });

  it('spreads the fallback reads of many waits: together at most 5 a second', async () => {
    vi.useFakeTimers();
    expect(fallbackReadMs(1000, 50)).toBe(10_000);
    expect(fallbackReadMs(1000, 100)).toBe(20_000);
    expect(fallbackReadMs(1000, 1000)).toBe(200_000);
    const world = given(copy('6', 2, 0), [copy('6', 2, 0)]);
    setMaxListeners(400, world.controller.signal);
    const waits = Array.from({ length: 400 }, () =>
      world.start({ deadline: Date.now() + 100_000 }),
    );
    await vi.advanceTimersByTimeAsync(79_999);
    expect(world.state.reads).toBe(400);
    await vi.advanceTimersByTimeAsync(1);
    expect(world.state.reads).toBe(800);
    await vi.advanceTimersByTimeAsync(20_000);
    await Promise.all(waits);
    expect(world.watch.size).toBe(0);
  });

  it('throws ProgressDeadline with the last reason once the deadline passes', async () => {
    vi.useFakeTimers();
    const world = given(copy('6', 2, 0), [copy('6', 2, 0)]);
    const waiting = world.start({ deadline: Date.now() + 3_000 });
    await vi.advanceTimersByTimeAsync(3_000);
    await waiting;
    const error = world.settled();
    expect(error).toBeInstanceOf(ProgressDeadline);
    expect(String(error)).toContain('0 of 2 replicas available');
    expect(world.watch.size).toBe(0);
  });
});

describe('watchedDeployment', () => {
  it('keeps what deploymentReadiness reads, and nothing of the pod template', () => {
    const full = {
      metadata: { namespace: 'prod', name: 'api', resourceVersion: '4', generation: 3 },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'api' } },
        template: { spec: { containers: [{ name: 'app', image: 'api:2' }] } },
      },
      status: {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 3,
        availableReplicas: 2,
        readyReplicas: 2,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
        ],
      },
    };
    const kept = watchedDeployment(full as never);
    expect(kept.status.conditions).toEqual([
      { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
    ]);
    expect(JSON.stringify(kept)).not.toContain('api:2');
    for (const threshold of [100, 50]) {
      expect(deploymentReadiness(kept as never, threshold)).toEqual(
        deploymentReadiness(full as never, threshold),
      );
    }
    const progressing = { ...full, status: { ...full.status, conditions: [] } };
    for (const threshold of [100, 50]) {
      expect(
        deploymentReadiness(watchedDeployment(progressing as never) as never, threshold),
      ).toEqual(deploymentReadiness(progressing as never, threshold));
    }
  });
});
