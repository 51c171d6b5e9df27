import { resumesAt, storedAs } from './meta.js';
import { primaryWaitDeadline } from './rolling-back.js';
import { rolloutSetup } from './setup.js';
import { retryAfterInterval, retryOnError, undeclared } from './steps.js';
import { promotedWeight } from './weights.js';

/**
 * Taken without acting until a rollback has routed callers to the primary: either would route
 * them to it at once, and it may be missing or without an available pod (Failed, below).
 */
const heldUntilRouted = { NEW_REVISION: { actions: [] }, RETRY: { actions: [] } };

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
        on: heldUntilRouted,
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
      retrying: { on: heldUntilRouted, ...retryAfterInterval('rollingBack') },
      // The primary has no available pod (it was missing and the rollback created it again,
      // or it is not up yet): callers sent to it would find none, so the canary keeps its
      // traffic until it is ready. Past the progress deadline each further wait lasts an
      // interval, its failure is announced, and the rollback looks again (a primary deleted
      // once more is created again; one with an available pod takes the callers). Here as
      // everywhere before `rolledBack`, a new revision is seen again once the rollback has
      // routed (the controller sends it at every reconcile), and a retry is asked again then.
      restoringPrimary: {
        meta: resumesAt('RestoringPrimary'),
        on: heldUntilRouted,
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
        on: heldUntilRouted,
        ...retryAfterInterval('rollingBack'),
      },
      rolledBack: { meta: resumesAt('Failed'), tags: ['resting', 'settled'] },
    },
  }),
};
