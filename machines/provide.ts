import { fromPromise } from 'xstate';
import type { EffectName, EffectSignatures } from './effects.js';
import type { RolloutMachine } from './rollout.js';

/**
 * The controller's implementation of every effect. `signal` aborts when the machine leaves
 * the step (pause, abort, new revision), so long waits can stop early.
 */
export type Effects = {
  [Name in EffectName]: (
    input: EffectSignatures[Name]['input'],
    signal: AbortSignal,
  ) => Promise<EffectSignatures[Name]['output']>;
};

function asActor<Name extends EffectName>(run: Effects[Name]) {
  return fromPromise<EffectSignatures[Name]['output'], EffectSignatures[Name]['input']>(
    ({ input, signal }) => run(input, signal),
  );
}

/** The rollout machine with the given effects in its actor slots. */
export function provideEffects(machine: RolloutMachine, effects: Effects): RolloutMachine {
  return machine.provide({
    actors: {
      initialize: asActor<'initialize'>(effects.initialize),
      checkGate: asActor<'checkGate'>(effects.checkGate),
      runWebhooks: asActor<'runWebhooks'>(effects.runWebhooks),
      startCanary: asActor<'startCanary'>(effects.startCanary),
      setWeight: asActor<'setWeight'>(effects.setWeight),
      analyse: asActor<'analyse'>(effects.analyse),
      promote: asActor<'promote'>(effects.promote),
      finalise: asActor<'finalise'>(effects.finalise),
      rollback: asActor<'rollback'>(effects.rollback),
    },
  });
}
