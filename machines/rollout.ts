import { and } from 'xstate';
import type { RestorePoint } from './context.js';
import { contextFromInput, restorePoints } from './context.js';
import { rolloutSetup } from './setup.js';
import {
  afterFailedCheck,
  analysisInterval,
  confirmGate,
  failedCheckOnError,
  manualControl,
  promote,
  retryAfterInterval,
  retryOnError,
  rollBack,
  undeclared,
  webhookStep,
} from './steps.js';
import { promotedWeight, steppedWeight } from './weights.js';

/**
 * The rollout state machine: contract §2 as a statechart. Each top-level state is a phase;
 * its children are the steps of that phase. Effects, decisions and updates are named here
 * and implemented in setup.ts, updates.ts and by the controller (effects.ts).
 *
 * Time lives in context (`nextAnalysisAt`, `progressDeadlineAt`) and every wait is an
 * `after` computed from it, so a restored machine re-arms the same waits.
 */

/** Where each restore point re-enters the chart; entering re-runs that step's effect. */
const restoreTargets: Record<RestorePoint, string> = {
  Initializing: 'Initializing',
  Initialized: 'Initialized',
  Waiting: 'Waiting',
  Progressing: 'Progressing',
  IncreasingWeight: 'Progressing.confirmingTrafficIncrease',
  ConfirmingPromotion: 'Progressing.confirmingPromotion',
  Paused: 'Paused',
  WaitingPromotion: 'WaitingPromotion',
  Promoting: 'Promoting',
  Finalising: 'Finalising',
  PostRollout: 'Succeeded',
  Succeeded: 'Succeeded.done',
  RollingBack: 'Failed',
  Failed: 'Failed.rolledBack',
};

export const rolloutMachine = rolloutSetup.createMachine({
  id: 'rollout',
  context: ({ input }) => contextFromInput(input),
  initial: 'restoring',
  on: {
    NEW_REVISION: [
      {
        guard: and(['isNewRevision', 'skipsAnalysis']),
        target: '.Promoting',
        actions: ['startRevision', { type: 'beginPromotion', params: { cause: 'skipAnalysis' } }],
      },
      { guard: 'isNewRevision', target: '.Waiting', actions: 'startRevision' },
    ],
  },
  states: {
    restoring: {
      exit: 'finishRestore',
      always: [
        ...restorePoints.map((point) => ({
          guard: { type: 'resumesAt' as const, params: { point } },
          target: restoreTargets[point],
        })),
        { target: 'Initializing' },
      ],
    },

    Initializing: {
      initial: 'creating',
      on: { NEW_REVISION: { actions: 'adoptRevision' } },
      states: {
        creating: {
          invoke: {
            id: 'initialize',
            src: 'initialize',
            input: ({ context }) => ({ revision: context.revision }),
            onDone: { target: '#rollout.Initialized', actions: 'markInitialized' },
            onError: retryOnError('initialize'),
          },
        },
        retrying: retryAfterInterval('creating'),
      },
    },

    Initialized: {},

    Waiting: {
      initial: 'resettingWeight',
      on: manualControl('Waiting'),
      states: {
        resettingWeight: {
          always: { guard: 'weightIsZero', target: 'confirmingRollout' },
          invoke: {
            id: 'setWeight',
            src: 'setWeight',
            input: { canaryWeight: 0 },
            onDone: {
              target: 'confirmingRollout',
              actions: { type: 'applyWeight', params: { canaryWeight: 0 } },
            },
            onError: retryOnError('setting weight 0', 'retryingWeight'),
          },
        },
        retryingWeight: retryAfterInterval('resettingWeight'),
        confirmingRollout: confirmGate('confirm-rollout', 'preRollout', 'awaitingConfirmation', {
          withDetail: true,
        }),
        awaitingConfirmation: retryAfterInterval('confirmingRollout'),
        preRollout: webhookStep('pre-rollout', 'startingCanary'),
        failedCheck: afterFailedCheck('Waiting', 'retryingPreRollout'),
        retryingPreRollout: retryAfterInterval('preRollout'),
        startingCanary: {
          entry: 'armProgressDeadline',
          initial: 'starting',
          after: { untilProgressDeadline: rollBack('ProgressDeadlineExceeded') },
          states: {
            starting: {
              invoke: {
                id: 'startCanary',
                src: 'startCanary',
                input: ({ context }) => ({ deadline: context.progressDeadlineAt ?? context.now() }),
                onDone: { target: '#rollout.Progressing', actions: 'beginAnalysis' },
                onError: retryOnError('starting the canary'),
              },
            },
            retrying: retryAfterInterval('starting'),
          },
        },
      },
    },

    Progressing: {
      initial: 'idle',
      on: manualControl('Progressing'),
      states: {
        ...analysisInterval('Progressing'),
        passed: {
          always: [
            { guard: 'belowMaxWeight', target: 'confirmingTrafficIncrease' },
            { guard: 'promotesAutomatically', target: 'confirmingPromotion' },
            { target: '#rollout.WaitingPromotion', actions: 'scheduleNextAnalysis' },
          ],
        },
        confirmingTrafficIncrease: confirmGate(
          'confirm-traffic-increase',
          'increasingWeight',
          'nextInterval',
        ),
        increasingWeight: {
          invoke: {
            id: 'setWeight',
            src: 'setWeight',
            input: ({ context }) => ({
              canaryWeight: steppedWeight(context.plan, context.canaryWeight),
            }),
            onDone: {
              target: 'nextInterval',
              actions: {
                type: 'applyWeight',
                params: ({ context }) => ({
                  canaryWeight: steppedWeight(context.plan, context.canaryWeight),
                }),
              },
            },
            onError: failedCheckOnError('setting the weight'),
          },
        },
        confirmingPromotion: confirmGate('confirm-promotion', promote('analysis'), 'nextInterval'),
      },
    },

    WaitingPromotion: {
      initial: 'idle',
      on: manualControl('WaitingPromotion'),
      states: {
        ...analysisInterval('WaitingPromotion'),
        passed: { always: 'nextInterval' },
      },
    },

    Paused: {
      on: {
        RESUME: [
          {
            guard: { type: 'resumesTo', params: { phase: 'Waiting' } },
            target: 'Waiting',
            actions: 'resume',
          },
          {
            guard: { type: 'resumesTo', params: { phase: 'WaitingPromotion' } },
            target: 'WaitingPromotion',
            actions: 'resume',
          },
          { target: 'Progressing', actions: 'resume' },
        ],
        PROMOTE: promote('request'),
        ABORT: rollBack('Aborted'),
      },
    },

    Promoting: {
      initial: 'promoting',
      after: { untilProgressDeadline: rollBack('ProgressDeadlineExceeded') },
      states: {
        promoting: {
          invoke: {
            id: 'promote',
            src: 'promote',
            input: ({ context }) => ({ deadline: context.progressDeadlineAt ?? context.now() }),
            onDone: '#rollout.Finalising',
            onError: retryOnError('promoting the primary'),
          },
        },
        retrying: retryAfterInterval('promoting'),
      },
    },

    Finalising: {
      initial: 'routing',
      states: {
        routing: {
          invoke: {
            id: 'finalise',
            src: 'finalise',
            input: ({ context }) => ({ canaryWeight: promotedWeight(context.plan) }),
            onDone: { target: '#rollout.Succeeded', actions: 'markPromoted' },
            onError: retryOnError('finalising'),
          },
        },
        retrying: retryAfterInterval('routing'),
      },
    },

    Succeeded: {
      initial: 'postRollout',
      states: {
        postRollout: {
          always: { guard: undeclared('post-rollout'), target: 'done' },
          invoke: {
            id: 'runWebhooks',
            src: 'runWebhooks',
            input: { type: 'post-rollout' },
            onDone: {
              target: 'done',
              actions: { type: 'notePostRollout', params: ({ event }) => event.output },
            },
            onError: {
              target: 'done',
              actions: {
                type: 'notePostRolloutError',
                params: ({ event }) => ({ error: event.error }),
              },
            },
          },
        },
        done: {},
      },
    },

    Failed: {
      initial: 'rollingBack',
      on: { RETRY: { target: 'Waiting', actions: 'restartRevision' } },
      states: {
        rollingBack: {
          invoke: {
            id: 'rollback',
            src: 'rollback',
            input: ({ context }) => ({ reason: context.reason }),
            onDone: { target: 'rolledBack', actions: 'markRolledBack' },
            onError: retryOnError('rolling back'),
          },
        },
        retrying: retryAfterInterval('rollingBack'),
        rolledBack: {},
      },
    },
  },
});

export type RolloutMachine = typeof rolloutMachine;
