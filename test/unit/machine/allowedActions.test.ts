import { describe, expect, it } from 'vitest';
import type { StateValue } from 'xstate';
import {
  acceptedActions,
  allowedActions,
  type ManualAction,
} from '../../../machines/allowedActions.js';
import { type Phase, phases } from '../../../machines/context.js';
import { restorePointOf } from '../../../machines/phase.js';
import { rolloutMachine } from '../../../machines/rollout.js';
import { restingActor } from './harness.js';

type ChartNode = (typeof rolloutMachine.root.states)[string];

/** Every innermost state of a phase, as the state value that names it. */
function leavesOf(node: ChartNode, value: (inner: StateValue) => StateValue): StateValue[] {
  const children = Object.entries(node.states);
  if (children.length === 0) return [value({})];
  return children.flatMap(([name, child]) =>
    leavesOf(child, (inner) =>
      value(Object.keys(inner as object).length === 0 ? name : { [name]: inner }),
    ),
  );
}

function statesOf(phase: Phase) {
  const { context } = restingActor().getSnapshot();
  const node = rolloutMachine.root.states[phase] as ChartNode;
  return leavesOf(node, (inner) =>
    typeof inner === 'object' && Object.keys(inner).length === 0 ? phase : { [phase]: inner },
  ).map((value) => rolloutMachine.resolveState({ value, context }));
}

const sorted = (actions: ManualAction[]) => [...actions].sort();

describe.each(phases)('the manual actions of %s', (phase) => {
  it('that the phase allows are those some state of it acts on', () => {
    const acted = new Set(statesOf(phase).flatMap((state) => acceptedActions(state)));
    expect(sorted([...acted])).toEqual(sorted(allowedActions(phase)));
  });

  it('that the status names for a state are exactly those the machine acts on there', () => {
    for (const state of statesOf(phase)) {
      expect(
        sorted(allowedActions(phase, restorePointOf(state))),
        JSON.stringify(state.value),
      ).toEqual(sorted(acceptedActions(state)));
    }
  });
});

it('takes a retry after a rollback only once it has routed callers to the primary', () => {
  const byState = Object.fromEntries(
    statesOf('Failed').map((state) => [
      JSON.stringify(state.value),
      acceptedActions(state).includes('retry'),
    ]),
  );
  expect(byState).toEqual({
    '{"Failed":"rollingBack"}': false,
    '{"Failed":"retrying"}': false,
    '{"Failed":"restoringPrimary"}': false,
    '{"Failed":"primaryNotReady"}': false,
    '{"Failed":"rolledBack"}': true,
  });
  expect(allowedActions('Failed', 'RollingBack')).toEqual([]);
  expect(allowedActions('Failed', 'RestoringPrimary')).toEqual([]);
  expect(allowedActions('Failed', 'Failed')).toEqual(['retry']);
});
