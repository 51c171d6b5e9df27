import type { Logger } from 'pino';
import { SnapshotError } from '../../machines/persistence.js';
import type { RolloutPlan } from '../../machines/plan.js';
import type { Rollout } from '../api/types.js';
import { formatProblems, type Validation } from '../api/validate.js';
import type { ResourceClient } from '../kube/resources.js';
import { manualIntent } from './annotations.js';
import type { Decision } from './decisions.js';
import { type Fence, supersededBy } from './fence.js';
import type { RolloutRunner } from './runner.js';
import { statusForInvalidSpec, statusWithMessage } from './status.js';
import type { StatusWriter, StoredRollout } from './status-writer.js';
import { type Caches, currentRevision } from './world.js';

export const FINALIZER = 'fledge.dev/finalizer';

export interface ReconcileDeps {
  caches: Caches;
  rollouts: ResourceClient<StoredRollout>;
  runners: Map<string, RolloutRunner>;
  /**
   * Rollouts whose settled machine this controller let go (in this term): their next runner
   * resumes from status without announcing again what it already announced.
   */
  released: Set<string>;
  fence: Fence;
  log: Logger;
  createRunner(rollout: Rollout, revision: string, resumed: boolean): RolloutRunner;
  /** validateRollout, reused while the Rollout's metadata and spec are unchanged. */
  validate(rollout: StoredRollout): Validation;
  /** The machine's plan for a validated Rollout (its spec and the controller's release limits). */
  plan(rollout: Rollout): RolloutPlan;
  /** The one writer of this Rollout's status, shared with its runner. */
  status(rollout: StoredRollout): StatusWriter;
  recordEvent(rollout: Rollout, decision: Decision): void;
  /** Puts traffic on a serving version, read back from the routing object (contract §2). */
  release(rollout: StoredRollout): Promise<void>;
  /** Compares the routing object with the machine's weight and corrects it. */
  checkRouting(rollout: Rollout, runner: RolloutRunner): Promise<void>;
  /** Drops what the controller holds for a Rollout that is gone (its writer, its metrics). */
  forget(key: string): void;
  /**
   * Drops the status writer of a machine let go: it holds the whole Rollout as last written
   * (managedFields, history), and the next runner makes a new one from the cache.
   */
  letGo(key: string): void;
}

/**
 * One level-triggered pass over one Rollout: read what is, tell the machine what changed
 * (spec, revision, manual actions, a lost target) and let it converge. Safe to run any number
 * of times and to stop at any line: all progress is in the Rollout's status.
 */
export async function reconcile(key: string, deps: ReconcileDeps): Promise<void> {
  const [namespace, name] = key.split('/') as [string, string];
  const stored = deps.caches.rollouts.get(namespace, name);
  if (!stored) {
    await stopRunner(key, deps);
    deps.released.delete(key);
    deps.forget(key);
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
  const writer = stored.status?.controller;
  if (writer && supersededBy(writer, deps.fence.stamp())) {
    // A successor wrote this Rollout: this replica was deposed and must not drive it.
    deps.log.warn({ writer }, 'a replica in a newer term drives this rollout; leaving it');
    await stopRunner(key, deps);
    return;
  }

  const validation = deps.validate(stored);
  if (!validation.ok) {
    await stopRunner(key, deps);
    const message = formatProblems(validation.problems);
    deps.recordEvent(stored, { type: 'Warning', reason: 'InvalidSpec', message });
    await deps
      .status(stored)
      .write((current) => statusForInvalidSpec(current, validation.problems, new Date()));
    return;
  }
  const rollout = validation.rollout;
  if (rollout.spec.suspend) {
    await stopRunner(key, deps);
    await writeMessage(deps, stored, 'suspended (spec.suspend): fledge leaves it as it is');
    return;
  }

  const lookup = currentRevision(rollout, deps.caches);
  let runner = deps.runners.get(key);
  if (runner?.failure) {
    await stopRunner(key, deps);
    runner = undefined;
  }
  if ('missing' in lookup) {
    deps.recordEvent(stored, {
      type: 'Warning',
      reason: 'TargetNotFound',
      message: lookup.missing,
    });
    // A machine that routed traffic to the target must take it back, even after a restart.
    if (!runner && !stored.status?.machine) {
      await writeMessage(deps, stored, lookup.missing);
      return;
    }
    runner ??= await startRunner(key, rollout, stored.status?.currentRevision ?? '', deps);
    runner?.targetLost(lookup.missing);
    return;
  }
  // Pending: a ConfigMap or Secret the target reads is being read, and its digest queues
  // this Rollout again. Meanwhile a machine already running keeps running.
  const revision = 'revision' in lookup ? lookup.revision : undefined;

  const plan = deps.plan(rollout);
  if (runner) {
    runner.update(rollout, plan);
  } else {
    // A machine never started waits for the digest; a stored one resumes at its revision.
    if (revision === undefined && !stored.status?.machine) return;
    runner = await startRunner(
      key,
      rollout,
      revision ?? stored.status?.currentRevision ?? '',
      deps,
    );
    if (!runner) return;
  }
  runner.targetFound();
  if (revision !== undefined) runner.revisionSeen(revision);

  const intent = manualIntent(rollout.metadata.annotations, runner.pausedByRequest);
  for (const action of intent.actions) runner.act(action);
  if (intent.consumed.length > 0) {
    await deps.rollouts.mergePatch(namespace, name, {
      metadata: { annotations: Object.fromEntries(intent.consumed.map((k) => [k, null])) },
    });
  }
  await deps.checkRouting(rollout, runner);
  // Settled, and the cache already holds all it wrote: let the machine go; news restores it.
  if (runner.releasable(stored.status)) {
    await stopRunner(key, deps);
    deps.letGo(key);
    deps.released.add(key);
  }
}

/** A runner for the Rollout, or none (with the reason in status) if its status is unreadable. */
async function startRunner(
  key: string,
  rollout: Rollout,
  revision: string,
  deps: ReconcileDeps,
): Promise<RolloutRunner | undefined> {
  try {
    const released = deps.released.delete(key);
    const runner = deps.createRunner(rollout, revision, released || announcedIn(rollout.status));
    deps.runners.set(key, runner);
    return runner;
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
    deps.recordEvent(rollout, {
      type: 'Warning',
      reason: 'UnreadableStatus',
      message: error.message,
    });
    await writeMessage(deps, rollout as StoredRollout, error.message);
    return undefined;
  }
}

/**
 * Whether the stored status already records the decision that led to its machine document: a
 * history entry at the document's phase and revision. The runner writes a decision's history
 * entry in the same status write as the document it led to, so such a document was announced
 * (its Event, webhooks and alerts went out before that write), and a restart restores it
 * without announcing it again: no Event, history entry or status write per Rollout.
 */
export function announcedIn(status: Rollout['status']): boolean {
  const machine = status?.machine as { phase?: unknown; revision?: unknown } | undefined;
  if (!machine) return false;
  return (status?.history ?? []).some(
    (entry) => entry.phase === machine.phase && entry.revision === machine.revision,
  );
}

async function stopRunner(key: string, deps: ReconcileDeps): Promise<void> {
  const runner = deps.runners.get(key);
  deps.runners.delete(key);
  await runner?.stop();
}

/**
 * Deletion, whatever the spec's validity: the runner stops (its effects in flight settle),
 * traffic goes to a serving version, and only then does the finalizer go.
 */
async function finalize(key: string, stored: StoredRollout, deps: ReconcileDeps): Promise<void> {
  await stopRunner(key, deps);
  if (!stored.metadata?.finalizers?.includes(FINALIZER)) return;
  await deps.release(stored);
  deps.released.delete(key);
  deps.forget(key);
  const finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  await deps.rollouts.mergePatch(stored.metadata.namespace, stored.metadata.name ?? '', {
    metadata: { finalizers, resourceVersion: stored.metadata.resourceVersion },
  });
}

async function writeMessage(
  deps: ReconcileDeps,
  stored: StoredRollout,
  message: string,
): Promise<void> {
  if (stored.status?.message === message) return;
  await deps.status(stored).write((current) => statusWithMessage(current, message));
}
