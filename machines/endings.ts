import { resumesAt, storedAs } from './meta.js';
import { primaryWaitDeadline } from './rolling-back.js';
import { rolloutSetup } from './setup.js';
import { retryAfterInterval, retryOnError, undeclared } from './steps.js';
import { promotedWeight } from './weights.js';

/**
 * The phases a release ends in: Finalising and Succeeded after a promotion, Failed after a
 * rollback. Part of the rollout chart (rollout.ts).
 */
export const endingPhases = {
  Finalising: rolloutSetup.createStateConfig({
    meta: resumesAt('Finalising'),
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
  }),

  Succeeded: rolloutSetup.createStateConfig({
    meta: resumesAt('PostRollout'),
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
      done: { meta: resumesAt('Succeeded'), tags: ['resting', 'settled'] },
    },
  }),

  Failed: rolloutSetup.createStateConfig({
    meta: resumesAt('RollingBack'),
    initial: 'rollingBack',
    on: { RETRY: { target: 'Waiting', actions: 'restartRevision' } },
    states: {
      rollingBack: {
        invoke: {
          id: 'rollback',
          src: 'rollback',
          input: ({ context }) => ({ reason: context.reason }),
          onDone: [
            {
              guard: { type: 'routed', params: ({ event }) => event.output },
              target: 'rolledBack',
              actions: 'markRolledBack',
            },
            {
              target: 'restoringPrimary',
              actions: {
                type: 'awaitRestoredPrimary',
                params: ({ event }) => ({
                  canaryWeight: event.output.routed ? 0 : event.output.canaryWeight,
                }),
              },
            },
          ],
          onError: retryOnError('rolling back'),
        },
      },
      retrying: retryAfterInterval('rollingBack'),
      // The primary was missing and the rollback created it again: callers sent to it now
      // would find no pods, so the canary keeps its traffic until it is ready. Past the
      // progress deadline each further wait lasts an interval and its failure is announced.
      restoringPrimary: {
        meta: resumesAt('RestoringPrimary'),
        invoke: {
          id: 'awaitPrimary',
          src: 'awaitPrimary',
          input: ({ context }) => ({ deadline: primaryWaitDeadline(context) }),
          onDone: 'rollingBack',
          onError: retryOnError('waiting for the primary created again', 'primaryNotReady'),
        },
      },
      primaryNotReady: {
        meta: storedAs('RestoringPrimary'),
        ...retryAfterInterval('restoringPrimary'),
      },
      rolledBack: { meta: resumesAt('Failed'), tags: ['resting', 'settled'] },
    },
  }),
};
