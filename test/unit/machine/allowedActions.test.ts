import { expect, it } from 'vitest';
import { acceptedActions, allowedActions } from '../../../machines/allowedActions.js';
import { phases } from '../../../machines/context.js';
import { rolloutMachine } from '../../../machines/rollout.js';
import { restingActor } from './harness.js';

it.each(phases)('allows in %s exactly the manual actions the machine acts on', (phase) => {
  const { context } = restingActor().getSnapshot();
  const resumed = rolloutMachine.resolveState({ value: phase, context });
  expect(acceptedActions(resumed).sort()).toEqual([...allowedActions(phase)].sort());
});
