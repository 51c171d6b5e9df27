import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { type Effects, machineWithEffectsOf } from '../../../machines/provide.js';
import { rolloutMachine } from '../../../machines/rollout.js';
import { makePlan } from './harness.js';

function effectsCalling(calls: string[], who: string): Effects {
  const done = async () => {
    calls.push(who);
  };
  return {
    initialize: done,
    checkGate: async () => ({ open: true }),
    runWebhooks: async () => ({ ok: true }),
    startCanary: done,
    setWeight: done,
    analyse: async () => ({ noData: false, results: [] }),
    promote: done,
    finalise: done,
    rollback: async () => ({ routed: true }),
    awaitPrimary: done,
  };
}

describe('machineWithEffectsOf', () => {
  it('runs each actor of the one machine with the effects registered for its system', async () => {
    const registered = new WeakMap<object, Effects>();
    const machine = machineWithEffectsOf(rolloutMachine, (system) => registered.get(system));
    const calls: string[] = [];
    const input = { plan: makePlan(), revision: 'r1', now: Date.now };
    const first = createActor(machine, { input });
    const second = createActor(machine, { input });
    registered.set(first.system, effectsCalling(calls, 'first'));
    registered.set(second.system, effectsCalling(calls, 'second'));
    first.start();
    second.start();
    await waitFor(first, (s) => s.matches('Initialized'));
    await waitFor(second, (s) => s.matches('Initialized'));
    expect(calls.sort()).toEqual(['first', 'second']);
    first.stop();
    second.stop();
  });

  it('fails an effect of an actor that started without effects, saying what to do', async () => {
    const machine = machineWithEffectsOf(rolloutMachine, () => undefined);
    const actor = createActor(machine, {
      input: { plan: makePlan(), revision: 'r1', now: Date.now },
    });
    actor.start();
    await waitFor(actor, (s) => s.context.message.includes('register them'));
    expect(actor.getSnapshot().matches('Initializing')).toBe(true);
    actor.stop();
  });
});
