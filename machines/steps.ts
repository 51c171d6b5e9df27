import { and, not } from 'xstate';
import type { Reason, ResumablePhase } from './context.js';
import type { GateType, NotifyingWebhookType } from './effects.js';
import { rolloutSetup } from './setup.js';

/** Transitions and steps the rollout chart uses in several phases. */

export const undeclared = (type: GateType | NotifyingWebhookType) =>
  not({ type: 'declares', params: { type } });

export const rollBack = (reason: Reason) => ({
  target: '#rollout.Failed',
  actions: { type: 'fail' as const, params: { reason } },
});

export const pauseFrom = (resumeTo: ResumablePhase, reason: Reason) => ({
  target: '#rollout.Paused',
  actions: { type: 'pause' as const, params: { resumeTo, reason } },
});

export const promote = (cause: 'analysis' | 'request') => ({
  target: '#rollout.Promoting',
  actions: { type: 'beginPromotion' as const, params: { cause } },
});

/** After a failed check: roll back or pause at the threshold, otherwise carry on. */
export const afterFailedCheck = (phase: ResumablePhase, carryOn: string) =>
  rolloutSetup.createStateConfig({
    always: [
      { guard: and(['thresholdReached', 'rollsBackOnFailure']), ...rollBack('ThresholdReached') },
      { guard: 'thresholdReached', ...pauseFrom(phase, 'ThresholdReached') },
      { target: carryOn },
    ],
  });

/**
 * A step that calls the webhooks of one type (when the spec declares any): success goes on to
 * `next`, a failure or an error is one failed check.
 */
export const webhookStep = (type: 'pre-rollout' | 'rollout', next: string) =>
  rolloutSetup.createStateConfig({
    always: { guard: undeclared(type), target: next },
    invoke: {
      id: 'runWebhooks',
      src: 'runWebhooks',
      input: { type },
      onDone: [
        { guard: { type: 'succeeded', params: ({ event }) => event.output }, target: next },
        {
          target: 'failedCheck',
          actions: {
            type: 'countWebhookFailure',
            params: ({ event }) => ({ type, ...event.output }),
          },
        },
      ],
      onError: failedCheckOnError(`${type} webhooks`),
    },
  });

/**
 * A confirm gate (when the spec declares one): open goes on with `proceed`; closed or
 * unreachable holds at `hold` and asks again, because a confirm gate waits for approval and
 * never fails the rollout. `withDetail` adds the gate's own answer to the status message.
 */
export const confirmGate = (
  gate: Exclude<GateType, 'rollback'>,
  proceed: string | ReturnType<typeof promote>,
  hold: string,
  { withDetail = false } = {},
) => {
  const next = typeof proceed === 'string' ? { target: proceed } : proceed;
  return rolloutSetup.createStateConfig({
    always: { guard: undeclared(gate), ...next },
    invoke: {
      id: 'checkGate',
      src: 'checkGate',
      input: { type: gate },
      onDone: [
        { guard: { type: 'isOpen', params: ({ event }) => event.output }, ...next },
        {
          target: hold,
          actions: {
            type: 'holdAtGate',
            params: ({ event }) => ({
              gate,
              detail: withDetail ? event.output.message : undefined,
            }),
          },
        },
      ],
      onError: { target: hold, actions: { type: 'holdAtGate', params: { gate } } },
    },
  });
};

/** A step of the analysis that throws is one failed check, named after the step. */
export const failedCheckOnError = (step: string) => ({
  target: 'failedCheck',
  actions: {
    type: 'countEffectFailure' as const,
    params: ({ event }: { event: { error: unknown } }) => ({ step, error: event.error }),
  },
});

/**
 * A failed effect outside the analysis is no failed check: it is retried from `retrying`, and
 * announced, since no phase change or failed check would tell anyone.
 */
export const retryOnError = (step: string, retrying = 'retrying') => {
  const params = ({ event }: { event: { error: unknown } }) => ({ step, error: event.error });
  return {
    target: retrying,
    actions: [
      { type: 'noteRetry' as const, params },
      { type: 'announceRetry' as const, params },
    ],
  };
};

export const retryAfterInterval = (target: string) =>
  rolloutSetup.createStateConfig({ after: { retryInterval: target } });

/** What a person can do while a revision is under analysis. */
export const manualControl = (phase: ResumablePhase) => ({
  PROMOTE: promote('request'),
  ABORT: rollBack('Aborted'),
  PAUSE: pauseFrom(phase, 'PauseRequested'),
});

/**
 * One analysis interval, shared by Progressing and WaitingPromotion: wait until
 * `nextAnalysisAt`, then the rollback gate, the rollout webhooks and the metrics. The first
 * failing step ends the interval with one failed check; a pass goes to the phase's `passed`.
 */
export const analysisInterval = (phase: 'Progressing' | 'WaitingPromotion') => ({
  idle: rolloutSetup.createStateConfig({
    tags: 'resting',
    after: { untilNextAnalysis: 'rollbackGate' },
  }),
  rollbackGate: rolloutSetup.createStateConfig({
    always: { guard: undeclared('rollback'), target: 'rolloutWebhooks' },
    invoke: {
      id: 'checkGate',
      src: 'checkGate',
      input: { type: 'rollback' },
      onDone: [
        {
          guard: { type: 'isOpen', params: ({ event }) => event.output },
          ...rollBack('RollbackGateOpen'),
        },
        { target: 'rolloutWebhooks' },
      ],
      onError: 'rolloutWebhooks',
    },
  }),
  rolloutWebhooks: webhookStep('rollout', 'analysing'),
  analysing: rolloutSetup.createStateConfig({
    invoke: {
      id: 'analyse',
      src: 'analyse',
      input: ({ context }) => ({ iteration: context.iterations + 1 }),
      onDone: {
        target: 'judging',
        actions: { type: 'recordAnalysis', params: ({ event }) => event.output },
      },
      onError: failedCheckOnError('analysis'),
    },
  }),
  judging: rolloutSetup.createStateConfig({
    always: [
      { guard: 'analysisBlind', target: 'nextInterval', actions: 'noteBlindAnalysis' },
      { guard: and(['analysisHadNoData', 'pausesOnNoData']), ...pauseFrom(phase, 'NoData') },
      { guard: 'analysisHeld', target: 'nextInterval', actions: 'holdOnMarginal' },
      { guard: 'analysisPassed', target: 'passed' },
      { target: 'failedCheck', actions: 'countAnalysisFailure' },
    ],
  }),
  failedCheck: afterFailedCheck(phase, 'nextInterval'),
  nextInterval: rolloutSetup.createStateConfig({
    always: { target: 'idle', actions: 'scheduleNextAnalysis' },
  }),
});
