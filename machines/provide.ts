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
      awaitPrimary: asActor<'awaitPrimary'>(effects.awaitPrimary),
    },
  });
}

/**
 * The rollout machine once, with each running actor's own effects: an invoked effect finds
 * them by the actor system it runs in (one system per root actor, shared by its children).
 * `provide` copies the whole chart, about 120 KiB, so one provided machine per Rollout cost
 * more than everything else the controller keeps of it; one machine for all costs nothing per
 * Rollout. An actor must be registered with `effectsOf` before it starts.
 */
export function machineWithEffectsOf(
  machine: RolloutMachine,
  effectsOf: (system: object) => Effects | undefined,
): RolloutMachine {
  const find = (system: object): Effects => {
    const effects = effectsOf(system);
    if (!effects) {
      throw new Error(
        'a rollout actor started without effects: register them for its system before it starts',
      );
    }
    return effects;
  };
  const actorOf = <Name extends EffectName>(name: Name) =>
    fromPromise<EffectSignatures[Name]['output'], EffectSignatures[Name]['input']>(
      ({ input, signal, system }) => (find(system)[name] as Effects[Name])(input, signal),
    );
  return machine.provide({
    actors: {
      initialize: actorOf('initialize'),
      checkGate: actorOf('checkGate'),
      runWebhooks: actorOf('runWebhooks'),
      startCanary: actorOf('startCanary'),
      setWeight: actorOf('setWeight'),
      analyse: actorOf('analyse'),
      promote: actorOf('promote'),
      finalise: actorOf('finalise'),
      rollback: actorOf('rollback'),
      awaitPrimary: actorOf('awaitPrimary'),
    },
  });
}
