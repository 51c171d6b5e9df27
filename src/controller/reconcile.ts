import type { Logger } from 'pino';
import { SnapshotError } from '../../machines/persistence.js';
import { planFromSpec } from '../api/plan.js';
import type { Rollout } from '../api/types.js';
import { formatProblems, validateRollout } from '../api/validate.js';
import type { KubeObject } from '../kube/api-server.js';
import type { ResourceClient } from '../kube/resources.js';
import { manualIntent } from './annotations.js';
import type { Decision } from './decisions.js';
import type { RolloutRunner } from './runner.js';
import { statusForInvalidSpec, statusWithMessage } from './status.js';
import { type Caches, currentRevision } from './world.js';

export const FINALIZER = 'fledge.dev/finalizer';

export interface ReconcileDeps {
  caches: Caches;
  rollouts: ResourceClient<Rollout & KubeObject>;
  runners: Map<string, RolloutRunner>;
  log: Logger;
  createRunner(rollout: Rollout, revision: string): RolloutRunner;
  recordEvent(rollout: Rollout, decision: Decision): void;
  writeStatus(rollout: Rollout, status: NonNullable<Rollout['status']>): Promise<Rollout>;
  /** Puts traffic on a serving Deployment or backend before the Rollout goes (contract §2). */
  release(rollout: Rollout, runner: RolloutRunner | undefined): Promise<void>;
  /** Compares the routing object with the machine's weight and corrects it. */
  checkRouting(rollout: Rollout, runner: RolloutRunner): Promise<void>;
  forget(rollout: Rollout): void;
}

/**
 * One level-triggered pass over one Rollout: read what is, tell the machine what changed
 * (spec, revision, manual actions) and let it converge. Safe to run any number of times and
 * to stop at any line: all progress is in the Rollout's status.
 */
export async function reconcile(key: string, deps: ReconcileDeps): Promise<void> {
  const [namespace, name] = key.split('/') as [string, string];
  const stored = deps.caches.rollouts.get(namespace, name);
  const runner = deps.runners.get(key);
  if (!stored) {
    if (runner) await stopRunner(key, deps);
    return;
  }
  if (stored.metadata?.deletionTimestamp) {
    await finalize(key, stored, deps);
    return;
  }
  if (!stored.metadata?.finalizers?.includes(FINALIZER)) {
    await deps.rollouts.mergePatch(namespace, name, {
      metadata: {
        finalizers: [...(stored.metadata?.finalizers ?? []), FINALIZER],
        resourceVersion: stored.metadata?.resourceVersion,
      },
    });
    return;
  }

  const validation = validateRollout(stored);
  if (!validation.ok) {
    if (runner) await stopRunner(key, deps);
    const message = formatProblems(validation.problems);
    deps.recordEvent(stored, { type: 'Warning', reason: 'InvalidSpec', message });
    await deps.writeStatus(stored, statusForInvalidSpec(stored, validation.problems, new Date()));
    return;
  }
  const rollout = validation.rollout;
  if (rollout.spec.suspend) {
    if (runner) await stopRunner(key, deps);
    await writeMessage(deps, stored, 'suspended (spec.suspend): fledge leaves it as it is');
    return;
  }
  const lookup = currentRevision(rollout, deps.caches);
  if ('missing' in lookup) {
    await blocked(deps, stored, 'TargetNotFound', lookup.missing);
    return;
  }

  const plan = planFromSpec(rollout.spec);
  let active = runner?.failure ? undefined : runner;
  if (runner && !active) await stopRunner(key, deps);
  if (!active) {
    try {
      active = deps.createRunner(rollout, lookup.revision);
    } catch (error) {
      if (!(error instanceof SnapshotError)) throw error;
      await blocked(deps, stored, 'UnreadableStatus', error.message);
      return;
    }
    deps.runners.set(key, active);
  } else {
    active.update(rollout, plan);
  }
  active.revisionSeen(lookup.revision);

  const intent = manualIntent(rollout.metadata.annotations, active.pausedByRequest);
  for (const action of intent.actions) active.act(action);
  if (intent.consumed.length > 0) {
    await deps.rollouts.mergePatch(namespace, name, {
      metadata: { annotations: Object.fromEntries(intent.consumed.map((k) => [k, null])) },
    });
  }
  if (active.resting) await deps.checkRouting(rollout, active);
}

async function stopRunner(key: string, deps: ReconcileDeps): Promise<void> {
  const runner = deps.runners.get(key);
  deps.runners.delete(key);
  await runner?.stop();
}

async function finalize(
  key: string,
  stored: Rollout & KubeObject,
  deps: ReconcileDeps,
): Promise<void> {
  const runner = deps.runners.get(key);
  await stopRunner(key, deps);
  if (!stored.metadata?.finalizers?.includes(FINALIZER)) return;
  const validation = validateRollout(stored);
  if (validation.ok) await deps.release(validation.rollout, runner);
  deps.forget(stored);
  const finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  await deps.rollouts.mergePatch(stored.metadata.namespace, stored.metadata.name ?? '', {
    metadata: { finalizers, resourceVersion: stored.metadata.resourceVersion },
  });
}

async function writeMessage(deps: ReconcileDeps, stored: Rollout, message: string): Promise<void> {
  if (stored.status?.message === message) return;
  await deps.writeStatus(stored, statusWithMessage(stored, message));
}

/** The rollout cannot go on until a person acts: say why, as an Event and in status. */
async function blocked(
  deps: ReconcileDeps,
  stored: Rollout,
  reason: string,
  message: string,
): Promise<void> {
  deps.recordEvent(stored, { type: 'Warning', reason, message });
  await writeMessage(deps, stored, message);
}
