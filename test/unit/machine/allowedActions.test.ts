import { expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { ManualAction } from '../../../machines/allowedActions.js';
import { allowedActions } from '../../../machines/allowedActions.js';
import type { RolloutEvent } from '../../../machines/context.js';
import { phases } from '../../../machines/context.js';
import { rolloutMachine } from '../../../machines/rollout.js';
import { makePlan } from './harness.js';

const events: Record<ManualAction, RolloutEvent> = {
  promote: { type: 'PROMOTE' },
  abort: { type: 'ABORT' },
  retry: { type: 'RETRY' },
  pause: { type: 'PAUSE' },
  resume: { type: 'RESUME' },
};

it.each(phases)('allows in %s exactly the manual actions the machine acts on', (phase) => {
  const { context } = createActor(rolloutMachine, {
    input: { plan: makePlan(), revision: 'r1', now: () => 0 },
  }).getSnapshot();
  const resumed = rolloutMachine.resolveState({ value: phase, context });
  const acted = (Object.keys(events) as ManualAction[]).filter((action) =>
    resumed.can(events[action]),
  );
  expect(acted.sort()).toEqual([...allowedActions(phase)].sort());
});
