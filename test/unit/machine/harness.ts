import type { ActorOptions } from 'xstate';
import { createActor, SimulatedClock } from 'xstate';
import type { AnalysisResult } from '../../../machines/analysis.js';
import type { RestorePoint } from '../../../machines/context.js';
import type { GateType, NotifyingWebhookType } from '../../../machines/effects.js';
import type { MachineDocument } from '../../../machines/persistence.js';
import { restoreActor, toStatusDocument } from '../../../machines/persistence.js';
import type { RolloutPlan } from '../../../machines/plan.js';
import { webhookTypes } from '../../../machines/plan.js';
import type { Effects } from '../../../machines/provide.js';
import { provideEffects } from '../../../machines/provide.js';
import { rolloutMachine } from '../../../machines/rollout.js';

export const intervalMs = 1_000;

export function makePlan(overrides: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    mode: 'workload',
    strategy: 'canary',
    weights: [10, 20, 30, 40, 50],
    iterations: 0,
    pinsRequests: false,
    threshold: 3,
    intervalMs,
    onFailure: 'rollback',
    onNoData: 'fail',
    promotion: 'auto',
    skipAnalysis: false,
    progressDeadlineMs: 10 * intervalMs,
    webhookTypes: [],
    ...overrides,
  };
}

/** Every webhook type that is a step of the rollout; `event` only notifies. */
export const everyStep: RolloutPlan['webhookTypes'] = webhookTypes.filter(
  (type) => type !== 'event',
);

export const passing: AnalysisResult = {
  results: [{ metric: 'request-success-rate', value: 100, min: 99, passed: true }],
  noData: false,
};
export const failing: AnalysisResult = {
  results: [{ metric: 'request-success-rate', value: 80, min: 99, passed: false }],
  noData: false,
};
export const noData: AnalysisResult = {
  results: [{ metric: 'request-success-rate', value: null, min: 99, passed: false }],
  noData: true,
};
/** No data Prometheus could not have had: it started less than two windows ago. */
export const blind: AnalysisResult = {
  ...noData,
  blind: 'Prometheus started 3s ago, less than twice the 6s window of request-success-rate',
};
/** The statistical judge's Marginal beside a passing metric: the weight holds. */
export const marginal: AnalysisResult = {
  results: [
    { metric: 'request-success-rate', value: 100, min: 99, passed: true },
    { metric: 'judge', value: 80, passed: false, message: 'judgement Marginal, score 80' },
  ],
  noData: false,
  judgement: {
    result: 'Marginal',
    score: 80,
    message: 'judgement Marginal, score 80',
    metrics: [],
  },
};
/** The adapter missed it: a NaN value that still says passed. */
export const nan: AnalysisResult = {
  results: [{ metric: 'request-duration', value: Number.NaN, max: 500, passed: true }],
  noData: false,
};

/** An effect that hangs, as a stuck API call would. */
export const never = () => new Promise<void>(() => {});

/** The bare machine (no effects), not started: enough for its first context and actor scope. */
export function restingActor(options: Omit<ActorOptions<typeof rolloutMachine>, 'input'> = {}) {
  return createActor(rolloutMachine, {
    ...options,
    input: { plan: makePlan(), revision: 'r1', now: () => 0 },
  });
}

/** Scripted effect behaviour; every function sees only its input, so reruns behave alike. */
export interface Script {
  analyse?: (iteration: number) => AnalysisResult | Promise<AnalysisResult>;
  gate?: (type: GateType) => boolean;
  webhooks?: (type: NotifyingWebhookType) => boolean;
  startCanary?: () => Promise<void>;
  promote?: () => Promise<void>;
  finalise?: () => Promise<void>;
  /**
   * Resolves to false, or to the weight the canary kept, when the primary was missing and was
   * created again: nothing routed.
   */
  rollback?: () => Promise<unknown>;
  awaitPrimary?: () => Promise<void>;
  initialize?: () => Promise<void>;
  setWeight?: (canaryWeight: number, pinned: boolean) => Promise<void>;
}

export type Call = { effect: keyof Effects; at: number; input: unknown };

function scriptedEffects(script: Script, clock: SimulatedClock, calls: Call[]): Effects {
  const record = (effect: keyof Effects, input: unknown) =>
    calls.push({ effect, at: clock.now(), input });
  return {
    initialize: async (input) => {
      record('initialize', input);
      await script.initialize?.();
    },
    checkGate: async (input) => {
      record('checkGate', input);
      const open = script.gate?.(input.type) ?? true;
      return { open, message: open ? 'approved' : 'halted' };
    },
    runWebhooks: async (input) => {
      record('runWebhooks', input);
      const ok = script.webhooks?.(input.type) ?? true;
      return { ok, message: ok ? 'ok' : `${input.type} hook answered 500` };
    },
    startCanary: async (input) => {
      record('startCanary', input);
      await script.startCanary?.();
    },
    setWeight: async (input) => {
      record('setWeight', input);
      await script.setWeight?.(input.canaryWeight, input.pinned);
    },
    analyse: async (input) => {
      record('analyse', input);
      return (await script.analyse?.(input.iteration)) ?? passing;
    },
    promote: async (input) => {
      record('promote', input);
      await script.promote?.();
    },
    finalise: async (input) => {
      record('finalise', input);
      await script.finalise?.();
    },
    rollback: async (input) => {
      record('rollback', input);
      const outcome = await script.rollback?.();
      if (outcome === false) return { routed: false, canaryWeight: 0 };
      if (typeof outcome === 'number') return { routed: false, canaryWeight: outcome };
      return { routed: true };
    },
    awaitPrimary: async (input) => {
      record('awaitPrimary', input);
      await script.awaitPrimary?.();
    },
  };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface RunOptions {
  plan?: RolloutPlan;
  script?: Script;
  revision?: string;
  /** Resume from this stored document instead of starting afresh. */
  document?: unknown;
  /** Simulated epoch ms to start at. */
  startAt?: number;
}

/** A rollout machine on a simulated clock, driven in 100 ms ticks. */
export function run(options: RunOptions = {}) {
  const plan = options.plan ?? makePlan();
  const clock = new SimulatedClock();
  clock.set(options.startAt ?? 0);
  const calls: Call[] = [];
  const machine = provideEffects(
    rolloutMachine,
    scriptedEffects(options.script ?? {}, clock, calls),
  );
  const now = () => clock.now();
  const revision = options.revision ?? 'r1';
  const actor =
    options.document === undefined
      ? createActor(machine, { clock, input: { plan, revision, now } })
      : restoreActor(machine, options.document, { plan, revision, now, clock });
  const documents: { at: number; document: MachineDocument }[] = [];
  actor.subscribe((snapshot) => {
    documents.push({ at: clock.now(), document: toStatusDocument(snapshot) });
  });
  actor.start();

  const flush = async () => {
    for (let round = 0; round < 5; round++) {
      await settle();
      clock.increment(0);
    }
    await settle();
  };
  const advance = async (ms: number) => {
    await flush();
    for (let elapsed = 0; elapsed < ms; elapsed += 100) {
      clock.increment(Math.min(100, ms - elapsed));
      await flush();
    }
  };
  const doc = () => toStatusDocument(actor.getSnapshot());
  const state = (): RestorePoint => doc().state;
  const send = async (event: Parameters<typeof actor.send>[0]) => {
    actor.send(event);
    await flush();
  };
  /** Advances until `predicate` holds, at most `limitMs`; returns the simulated time. */
  const until = async (predicate: () => boolean, limitMs = 100 * intervalMs) => {
    await flush();
    const start = clock.now();
    while (!predicate()) {
      if (clock.now() - start > limitMs) {
        throw new Error(`not reached within ${limitMs} ms; now ${JSON.stringify(doc())}`);
      }
      await advance(100);
    }
    return clock.now();
  };
  /** When the machine first entered `point`, even if it left it in the same instant. */
  const reachedAt = (point: RestorePoint) =>
    documents.find((entry) => entry.document.state === point)?.at;
  const weightsSet = () =>
    calls
      .filter((call) => call.effect === 'setWeight')
      .map((call) => (call.input as { canaryWeight: number }).canaryWeight);
  return {
    actor,
    clock,
    calls,
    documents,
    advance,
    flush,
    doc,
    state,
    send,
    until,
    reachedAt,
    weightsSet,
  };
}

export type Run = ReturnType<typeof run>;

/** A rollout already Initialized with r1 that has just been told about revision r2. */
export async function newRevision(options: RunOptions = {}): Promise<Run> {
  const rollout = run(options);
  await rollout.until(() => rollout.state() === 'Initialized');
  await rollout.send({ type: 'NEW_REVISION', revision: 'r2' });
  return rollout;
}
