import { describe, expect, it } from 'vitest';
import type { AnyActorScope, AnyStateNode, AnyTransitionDefinition, EventObject } from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';
import type { RolloutEvent } from '../../../machines/context.js';
import { restorePoints } from '../../../machines/context.js';
import { toStatusDocument } from '../../../machines/persistence.js';
import type { RolloutSnapshot } from '../../../machines/phase.js';
import { phaseOf } from '../../../machines/phase.js';
import type { RolloutPlan } from '../../../machines/plan.js';
import { rolloutMachine } from '../../../machines/rollout.js';
import { passed } from '../../../machines/updates.js';
import { maxWeight } from '../../../machines/weights.js';
import {
  blind,
  everyStep,
  failing,
  makePlan,
  marginal,
  nan,
  noData,
  passing,
  restingActor,
} from './harness.js';

/**
 * Model-based tests: the machine's graph explored with xstate/graph, where each effect is
 * replaced by the events its actor could send back (done with each kind of outcome, or error)
 * and each wait by its timer event. Invariants are checked on every step of every path.
 */

const effectOutcomes: Record<string, unknown[]> = {
  analyse: [passing, failing, noData, nan, blind, marginal],
  checkGate: [{ open: true }, { open: false, message: 'halted' }],
  runWebhooks: [{ ok: true }, { ok: false, message: '500' }],
  // 0: a weight every strategy may hold (A/B testing routes by header only).
  rollback: [{ routed: true }, { routed: false, canaryWeight: 0 }],
};

/** What people and the controller's reading of the cluster send. */
const externalEvents: RolloutEvent[] = [
  { type: 'TARGET_LOST' },
  { type: 'PROMOTE' },
  { type: 'ABORT' },
  { type: 'RETRY' },
  { type: 'PAUSE' },
  { type: 'RESUME' },
  { type: 'NEW_REVISION', revision: 'r1' },
  { type: 'NEW_REVISION', revision: 'r2' },
  { type: 'SLOT_GRANTED' },
];

const allNodes = getStateNodes(rolloutMachine.root);

function activeNodes(snapshot: RolloutSnapshot): AnyStateNode[] {
  return allNodes.filter((node) => {
    const value = node.path.reduceRight<unknown>(
      (inner, key) => (inner ? { [key]: inner } : key),
      undefined,
    );
    return snapshot.matches(value as never);
  });
}

/** What could happen next: a person's events, its running effects' answers, its timers. */
function eventsFor(snapshot: RolloutSnapshot): RolloutEvent[] {
  // Actors' answers and timers are xstate's own events, which RolloutEvent does not list.
  const internal = (event: EventObject & Record<string, unknown>) =>
    event as unknown as RolloutEvent;
  const events = [...externalEvents];
  for (const node of activeNodes(snapshot)) {
    for (const invoke of node.invoke) {
      const outcomes = effectOutcomes[invoke.src as string] ?? [undefined];
      for (const output of outcomes)
        events.push(internal({ type: `xstate.done.actor.${invoke.id}`, output }));
      events.push(internal({ type: `xstate.error.actor.${invoke.id}`, error: new Error('boom') }));
    }
    for (const delayed of node.after) events.push(internal({ type: delayed.eventType }));
  }
  return events;
}

/**
 * What steers the machine. Iterations and timestamps grow without bound and do not; failed
 * checks beyond the threshold (onFailure pause, then resume) act like the threshold.
 */
function serializeState(snapshot: RolloutSnapshot): string {
  const { canaryWeight, failedChecks, iterations, revision, lastPromotedRevision, resumeTo, plan } =
    snapshot.context;
  const checks = Math.min(failedChecks, plan.threshold);
  // Iterations steer A/B testing and blue/green up to the planned number, no further.
  const counted = Math.min(iterations, plan.iterations);
  return JSON.stringify([
    snapshot.value,
    canaryWeight,
    checks,
    counted,
    revision,
    lastPromotedRevision,
    resumeTo,
    snapshot.context.slotGrantedAt !== null,
  ]);
}

/** The machine as graph logic, recording each transition it takes. */
function recordingLogic(taken: Set<AnyTransitionDefinition>) {
  const probe = restingActor({
    inspect: (event) => {
      if (event.type === '@xstate.microstep') {
        for (const transition of (event as { _transitions: AnyTransitionDefinition[] })
          ._transitions) {
          taken.add(transition);
        }
      }
    },
  });
  const scope = (actorScope: AnyActorScope): AnyActorScope => ({
    ...actorScope,
    system: probe.system,
  });
  const logic = Object.create(rolloutMachine) as typeof rolloutMachine;
  logic.transition = (snapshot, event, actorScope) =>
    rolloutMachine.transition(snapshot, event, scope(actorScope));
  logic.getInitialSnapshot = (actorScope, input) =>
    rolloutMachine.getInitialSnapshot(scope(actorScope), input);
  return logic;
}

type Step = { event: EventObject; state: RolloutSnapshot };

function checkInvariants(plan: RolloutPlan, previous: RolloutSnapshot, { event, state }: Step) {
  const context = state.context;
  const phase = phaseOf(state);
  const where = `${JSON.stringify(previous.value)} --${event.type}--> ${JSON.stringify(state.value)}`;
  // Only the analysis steps the weight. A promoted backend-mode rollout sits at 100 until the
  // next revision's Waiting resets it (or a pause or promotion request cuts Waiting short).
  const analysing =
    phase === 'Progressing' ||
    phase === 'WaitingPromotion' ||
    (phase === 'Paused' && context.resumeTo !== 'Waiting');
  if (analysing) {
    expect(context.canaryWeight, `weight above maxWeight: ${where}`).toBeLessThanOrEqual(
      maxWeight(plan),
    );
  }
  // Until the primary can take them back, callers stay where the routing object has them
  // (rollback-primary.test.ts); a rolled-back release routes nothing.
  if (state.matches({ Failed: 'rolledBack' })) {
    expect(context.canaryWeight, `weight in Failed: ${where}`).toBe(0);
  }
  // Only a person's promotion or abort skips the queue: no canary starts without a slot.
  const startsCanary =
    state.matches({ Waiting: 'preRollout' }) ||
    state.matches({ Waiting: 'startingCanary' }) ||
    phase === 'Progressing' ||
    phase === 'WaitingPromotion';
  if (plan.waitsForSlot && startsCanary) {
    expect(context.slotGrantedAt, `a release started without a slot: ${where}`).not.toBeNull();
  }
  if (plan.strategy === 'abTesting') {
    expect(context.canaryWeight, `A/B testing moved the weight: ${where}`).toBe(0);
  }
  if (plan.strategy === 'blueGreen') {
    expect([0, 100], `blue/green between 0 and 100: ${where}`).toContain(context.canaryWeight);
  }
  // A promotion in steps only moves traffic toward where the promotion ends.
  if (phase === 'Promoting' && phaseOf(previous) === 'Promoting') {
    const before = previous.context.canaryWeight;
    const toward =
      plan.mode === 'backend' ? context.canaryWeight >= before : context.canaryWeight <= before;
    expect(toward, `a promotion step moved away from its end: ${where}`).toBe(true);
  }
  const entersPromotion = phase === 'Promoting' && phaseOf(previous) !== 'Promoting';
  const byPerson = event.type === 'PROMOTE' || (event.type === 'NEW_REVISION' && plan.skipAnalysis);
  if (entersPromotion && !byPerson) {
    expect(previous.context.failedChecks, `promoted after the threshold: ${where}`).toBeLessThan(
      plan.threshold,
    );
    expect(
      context.lastAnalysis && passed(context.lastAnalysis),
      `promoted without data: ${where}`,
    ).toBe(true);
  }
}

const plans: Record<string, RolloutPlan> = {
  'every step declared, a release queue, rollback, auto': makePlan({
    weights: [20, 40],
    threshold: 2,
    webhookTypes: everyStep,
    waitsForSlot: true,
  }),
  'every step declared, pause on failure and no data, manual': makePlan({
    weights: [20, 40],
    threshold: 2,
    onFailure: 'pause',
    onNoData: 'pause',
    promotion: 'manual',
    webhookTypes: everyStep,
  }),
  'no webhooks, rollback, manual, backend': makePlan({
    mode: 'backend',
    weights: [20, 40],
    threshold: 2,
    promotion: 'manual',
  }),
  skipAnalysis: makePlan({ weights: [50], threshold: 1, skipAnalysis: true }),
  'promotion in steps, no webhooks, rollback, auto': makePlan({
    weights: [20, 40],
    threshold: 2,
    promotionStep: 15,
  }),
  'A/B testing, every step declared, auto': makePlan({
    strategy: 'abTesting',
    weights: [],
    iterations: 2,
    pinsRequests: true,
    threshold: 2,
    webhookTypes: everyStep,
  }),
  'blue/green, every step declared, auto': makePlan({
    strategy: 'blueGreen',
    weights: [100],
    iterations: 2,
    threshold: 2,
    webhookTypes: everyStep,
  }),
  'blue/green, no webhooks, manual, backend': makePlan({
    mode: 'backend',
    strategy: 'blueGreen',
    weights: [100],
    iterations: 1,
    threshold: 2,
    promotion: 'manual',
  }),
};

const taken = new Set<AnyTransitionDefinition>();
const reached = new Set<string>();

describe.each(Object.entries(plans))('the graph of a rollout with %s', (_, plan) => {
  const paths = getShortestPaths(recordingLogic(taken), {
    input: { plan, revision: 'r1', now: () => 0 },
    events: eventsFor,
    serializeState,
  });

  it('holds the invariants on every step of every path', () => {
    expect(paths.length).toBeGreaterThan(10);
    for (const path of paths) {
      let previous = path.steps[0]?.state;
      for (const step of path.steps.slice(1)) {
        if (previous) checkInvariants(plan, previous, step);
        previous = step.state;
      }
      for (const node of activeNodes(path.state)) reached.add(node.id);
    }
  });
});

describe('the whole graph', () => {
  it('restores into every restore point', () => {
    const logic = recordingLogic(taken);
    const resting = restingActor();
    const context = toStatusDocument(resting.getSnapshot());
    for (const state of restorePoints) {
      const { version: _v, phase: _p, state: _s, ...persisted } = context;
      const snapshot = logic.getInitialSnapshot(
        { ...(resting as unknown as { _actorScope: AnyActorScope })._actorScope },
        {
          plan: plans['every step declared, a release queue, rollback, auto'] as RolloutPlan,
          revision: 'r1',
          now: () => 0,
          resume: { state, context: persisted },
        },
      );
      for (const node of activeNodes(snapshot)) reached.add(node.id);
      expect(toStatusDocument(snapshot).state).toBe(state);
    }
  });

  it('reaches every state', () => {
    for (const transition of taken) {
      reached.add(transition.source.id);
      for (const target of transition.target ?? []) reached.add(target.id);
    }
    const unreached = allNodes.map((node) => node.id).filter((id) => !reached.has(id));
    expect(unreached).toEqual([]);
  });

  it('takes every transition', () => {
    const all = allNodes.flatMap((node) => [
      ...[...node.transitions.values()].flat(),
      ...(node.always ?? []),
    ]);
    const untaken = all
      .filter((transition) => !taken.has(transition))
      .map(
        (transition) =>
          `${transition.source.id} on ${transition.eventType} -> ${transition.target?.map((t) => t.id)}`,
      );
    expect(untaken).toEqual([]);
  });
});
