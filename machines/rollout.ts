import { and, not } from 'xstate';
import { contextFromInput } from './context.js';
import { endingPhases } from './endings.js';
import { resumesAt, storedAs } from './meta.js';
import { restoreTransitions } from './restore.js';
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
  webhookStep,
} from './steps.js';
import { maxWeight, promotionStepWeight, steppedWeight } from './weights.js';

/**
 * The rollout state machine: contract §2 as a statechart. Each top-level state is a phase;
 * its children are the steps of that phase. Effects, decisions and updates are named here
 * and implemented in setup.ts, updates.ts and by the controller (effects.ts).
 *
 * Time lives in context (`nextAnalysisAt`, `progressDeadlineAt`, `nextPromotionStepAt`) and
 * every wait is an `after` computed from it, so a restored machine re-arms the same waits.
 * Each state says what it is stored as and where a restore re-enters (`meta`), and whether it
 * is `resting`.
 */

const phases = rolloutSetup.createStateConfig({
  states: {
    Initializing: {
      meta: resumesAt('Initializing'),
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

    Initialized: { meta: resumesAt('Initialized'), tags: ['resting', 'settled'] },

    Waiting: {
      meta: resumesAt('Waiting'),
      initial: 'resettingWeight',
      on: { ...manualControl('Waiting'), TARGET_LOST: rollBack('TargetLost') },
      states: {
        resettingWeight: {
          // A route that pins requests may still pin them for an earlier revision.
          always: {
            guard: and(['weightIsZero', not('pinsRequests')]),
            target: 'confirmingRollout',
          },
          invoke: {
            id: 'setWeight',
            src: 'setWeight',
            input: { canaryWeight: 0, pinned: false },
            onDone: {
              target: 'confirmingRollout',
              actions: { type: 'applyWeight', params: { canaryWeight: 0 } },
            },
            onError: retryOnError('setting weight 0', 'retryingWeight'),
          },
        },
        retryingWeight: retryAfterInterval('resettingWeight'),
        confirmingRollout: confirmGate('confirm-rollout', 'queued', 'awaitingConfirmation', {
          withDetail: true,
        }),
        awaitingConfirmation: retryAfterInterval('confirmingRollout'),
        // The controller grants slots (its --max-releases and spec.releaseQueue) in the order
        // releases got here; the weight is 0 and nothing runs while one waits.
        queued: {
          meta: resumesAt('Queued'),
          tags: 'resting',
          entry: 'enterQueue',
          always: { guard: not('waitsForSlot'), target: 'preRollout', actions: 'takeSlot' },
          on: { SLOT_GRANTED: { target: 'preRollout', actions: 'grantSlot' } },
        },
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
                onDone: [
                  { guard: 'pinsRequests', target: '#rollout.Waiting.pinning' },
                  { target: '#rollout.Progressing', actions: 'beginAnalysis' },
                ],
                onError: retryOnError('starting the canary'),
              },
            },
            retrying: retryAfterInterval('starting'),
          },
        },
        // The canary serves: the requests the strategy pins (A/B matches, the affinity
        // cookie) go to it from the first interval on.
        pinning: {
          invoke: {
            id: 'setWeight',
            src: 'setWeight',
            input: ({ context }) => ({ canaryWeight: context.canaryWeight, pinned: true }),
            onDone: { target: '#rollout.Progressing', actions: 'beginAnalysis' },
            onError: retryOnError('routing pinned requests to the canary', 'retryingPin'),
          },
        },
        retryingPin: retryAfterInterval('pinning'),
      },
    },

    Progressing: {
      meta: resumesAt('Progressing'),
      initial: 'idle',
      on: { ...manualControl('Progressing'), TARGET_LOST: rollBack('TargetLost') },
      states: {
        ...analysisInterval('Progressing'),
        passed: {
          always: [
            { guard: 'analysesLeft', target: 'nextInterval', actions: 'notePassedAnalysis' },
            { guard: and(['belowMaxWeight', 'switchesAtOnce']), target: 'confirmingSwitch' },
            { guard: 'belowMaxWeight', target: 'confirmingTrafficIncrease' },
            { guard: 'promotesAutomatically', target: 'confirmingPromotion' },
            { target: '#rollout.WaitingPromotion', actions: 'scheduleNextAnalysis' },
          ],
        },
        confirmingTrafficIncrease: {
          meta: resumesAt('IncreasingWeight'),
          ...confirmGate('confirm-traffic-increase', 'increasingWeight', 'nextInterval'),
        },
        increasingWeight: {
          meta: storedAs('IncreasingWeight'),
          invoke: {
            id: 'setWeight',
            src: 'setWeight',
            input: ({ context }) => ({
              canaryWeight: steppedWeight(context.plan, context.canaryWeight),
              pinned: true,
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
        // Blue/green: the promotion gate opens the switch, as in Flagger, since all users
        // reach the canary from then on; the switched traffic is analysed before promotion.
        confirmingSwitch: {
          meta: resumesAt('Switching'),
          ...confirmGate('confirm-promotion', 'switching', 'nextInterval'),
        },
        switching: {
          meta: storedAs('Switching'),
          invoke: {
            id: 'setWeight',
            src: 'setWeight',
            input: ({ context }) => ({ canaryWeight: maxWeight(context.plan), pinned: true }),
            onDone: {
              target: 'nextInterval',
              actions: {
                type: 'applySwitch',
                params: ({ context }) => ({ canaryWeight: maxWeight(context.plan) }),
              },
            },
            onError: failedCheckOnError('switching traffic to the canary'),
          },
        },
        confirmingPromotion: {
          meta: resumesAt('ConfirmingPromotion'),
          ...confirmGate('confirm-promotion', promote('analysis'), 'nextInterval'),
        },
      },
    },

    WaitingPromotion: {
      meta: resumesAt('WaitingPromotion'),
      initial: 'idle',
      on: { ...manualControl('WaitingPromotion'), TARGET_LOST: rollBack('TargetLost') },
      states: {
        ...analysisInterval('WaitingPromotion'),
        passed: { always: 'nextInterval' },
      },
    },

    Paused: {
      meta: resumesAt('Paused'),
      tags: 'resting',
      on: {
        TARGET_LOST: rollBack('TargetLost'),
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
      meta: resumesAt('Promoting'),
      initial: 'readying',
      // The primary may already run the new revision, so a person cannot abort here; but a
      // canary that is gone must not keep its share of traffic while the promotion retries.
      on: { TARGET_LOST: rollBack('TargetLost') },
      states: {
        readying: {
          initial: 'promoting',
          after: { untilProgressDeadline: rollBack('ProgressDeadlineExceeded') },
          states: {
            promoting: {
              invoke: {
                id: 'promote',
                src: 'promote',
                input: ({ context }) => ({ deadline: context.progressDeadlineAt ?? context.now() }),
                onDone: [
                  { guard: 'promotionStepsLeft', target: '#rollout.Promoting.shiftingTraffic' },
                  { target: '#rollout.Finalising' },
                ],
                onError: retryOnError('promoting the primary'),
              },
            },
            retrying: retryAfterInterval('promoting'),
          },
        },
        // stepWeightPromotion, as in Flagger: the ready primary takes the traffic back a step
        // per interval. The analysis is over: no metrics, gates or failed checks until the end.
        shiftingTraffic: {
          meta: storedAs('ShiftingTraffic'),
          invoke: {
            id: 'setWeight',
            src: 'setWeight',
            input: ({ context }) => ({
              canaryWeight: promotionStepWeight(context.plan, context.canaryWeight),
              pinned: false,
            }),
            onDone: {
              target: 'holdingWeight',
              actions: {
                type: 'applyPromotionStep',
                params: ({ context }) => ({
                  canaryWeight: promotionStepWeight(context.plan, context.canaryWeight),
                }),
              },
            },
            onError: retryOnError('a promotion step', 'retryingShift'),
          },
        },
        retryingShift: {
          meta: storedAs('ShiftingTraffic'),
          ...retryAfterInterval('shiftingTraffic'),
        },
        holdingWeight: {
          meta: resumesAt('ShiftingTraffic'),
          tags: 'resting',
          after: {
            untilNextPromotionStep: [
              { guard: 'promotionStepsLeft', target: 'shiftingTraffic' },
              { target: '#rollout.Finalising' },
            ],
          },
        },
      },
    },

    ...endingPhases,
  },
});

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
      always: [...restoreTransitions(phases.states), { target: 'Initializing' }],
    },
    ...phases.states,
  },
});

export type RolloutMachine = typeof rolloutMachine;
