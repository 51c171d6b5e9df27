import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import {
  type RestingWorld,
  resyncKeys,
  SETTLED_REPLAY_EVERY,
  wokenByEvents,
} from '../../../src/controller/resync.js';

const rollout = (spec: object = {}) =>
  ({ metadata: { namespace: 'prod', name: 'api' }, spec }) as unknown as Rollout;

const world = (released: string[], watched = true, autoscalersWatched = true): RestingWorld => ({
  released: new Set(released),
  routingWatched: () => watched,
  autoscalersWatched,
});

describe('wokenByEvents', () => {
  const autoscaled = { autoscalerRef: { name: 'api' } };
  it.each([
    ['let go, routing watched, no autoscaler', ['prod/api'], {}, true, true, true],
    ['its machine runs here', [], {}, true, true, false],
    ['an autoscaler, watched', ['prod/api'], autoscaled, true, true, true],
    ['an autoscaler, whose type no watch has listed', ['prod/api'], autoscaled, true, false, false],
    ['no autoscaler, whatever the autoscaler watch', ['prod/api'], {}, true, false, true],
    ['a routing type that is not watched', ['prod/api'], {}, false, true, false],
  ])('%s', (_what, released, spec, watched, autoscalersWatched, expected) => {
    expect(
      wokenByEvents('prod/api', rollout(spec), world(released, watched, autoscalersWatched)),
    ).toBe(expected);
  });
});

describe('resyncKeys', () => {
  const rollouts = [
    { key: 'prod/settled', rollout: rollout() },
    { key: 'prod/running', rollout: rollout() },
  ];
  const resting = world(['prod/settled']);

  it('replays every Rollout at the first round and at every SETTLED_REPLAY_EVERY-th', () => {
    expect(resyncKeys(0, rollouts, resting)).toEqual(['prod/settled', 'prod/running']);
    expect(resyncKeys(SETTLED_REPLAY_EVERY, rollouts, resting)).toEqual([
      'prod/settled',
      'prod/running',
    ]);
  });

  it('between them, only the Rollouts that events alone do not keep right', () => {
    for (let round = 1; round < SETTLED_REPLAY_EVERY; round++) {
      expect(resyncKeys(round, rollouts, resting)).toEqual(['prod/running']);
    }
  });
});
