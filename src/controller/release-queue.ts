import type { MachineDocument } from '../../machines/persistence.js';
import type { RolloutPlan } from '../../machines/plan.js';
import type { ConditionUpdate } from '../api/conditions.js';
import { planFromSpec } from '../api/plan.js';
import type { RolloutSpec } from '../api/types.js';

/**
 * The release queue's accounting: which releases hold a slot (are in analysis), which wait,
 * and which of those may start now. Pure; the controller feeds it what its runners and the
 * stored statuses say and sends the grants to the machines.
 */

export const CONDITION_QUEUED = 'Queued';

/** Caps from the controller's flags; undefined: no cap. */
export interface ReleaseLimits {
  /** Releases in analysis at once over every Rollout this controller drives (--max-releases). */
  cluster?: number;
  /** Releases in analysis at once in one namespace (--max-releases-per-namespace). */
  namespace?: number;
}

export const hasLimits = (limits: ReleaseLimits): boolean =>
  limits.cluster !== undefined || limits.namespace !== undefined;

/** The plan of a validated spec; its releases wait for a slot wherever a limit applies. */
export function planWithQueue(spec: RolloutSpec, limits: ReleaseLimits): RolloutPlan {
  return {
    ...planFromSpec(spec),
    waitsForSlot: hasLimits(limits) || spec.releaseQueue?.maxInNamespace !== undefined,
  };
}

export type SlotState =
  | { kind: 'holding' }
  | { kind: 'waiting'; queuedAt: number }
  | { kind: 'none' };

const inAnalysis = new Set(['Progressing', 'WaitingPromotion']);
const inRelease = new Set(['Waiting', 'Paused', 'Promoting', 'Finalising']);

/**
 * A machine document's part in the queue. A release holds its slot from the grant until it
 * ends (Succeeded or Failed); an analysis always holds one, even one that began before the
 * queue existed, and so does a rollback whose canary keeps callers until the primary can take
 * them (RestoringPrimary): the release is still under way.
 */
export function slotOf(document: MachineDocument | null): SlotState {
  if (!document) return { kind: 'none' };
  if (document.state === 'Queued') {
    return { kind: 'waiting', queuedAt: document.queuedAt ?? Number.POSITIVE_INFINITY };
  }
  if (inAnalysis.has(document.phase) || document.state === 'RestoringPrimary') {
    return { kind: 'holding' };
  }
  if (inRelease.has(document.phase) && document.slotGrantedAt !== null) return { kind: 'holding' };
  return { kind: 'none' };
}

export interface QueueEntry {
  /** namespace/name */
  key: string;
  namespace: string;
  slot: SlotState;
  /** spec.releaseQueue.maxInNamespace of this Rollout. */
  maxInNamespace?: number;
  /** When its current release was granted its slot (its machine's slotGrantedAt), if known. */
  grantedAt?: number | null;
}

/** How many releases hold a slot and how many wait for one: the fledge_release_queue gauge. */
export function slotCounts(entries: readonly QueueEntry[]): { holding: number; waiting: number } {
  const counts = { holding: 0, waiting: 0 };
  for (const entry of entries) if (entry.slot.kind !== 'none') counts[entry.slot.kind]++;
  return counts;
}

export type Verdict =
  | { key: string; granted: true; message: string }
  | { key: string; granted: false; position: number; message: string };

const releases = (count: number) => `${count} ${count === 1 ? 'release' : 'releases'}`;

const tighter = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/**
 * The verdict on every waiting release, in queue order (the time each entered the queue, then
 * its key). A release starts when its namespace and the cluster are below their caps; one that
 * cannot start holds back every later release of the scope it waits for, so no release is ever
 * overtaken for good (no starvation): a scope's slots go to its releases in order.
 */
export function allocateSlots(entries: readonly QueueEntry[], limits: ReleaseLimits): Verdict[] {
  let cluster = 0;
  const byNamespace = new Map<string, number>();
  for (const entry of entries) {
    if (entry.slot.kind !== 'holding') continue;
    cluster++;
    byNamespace.set(entry.namespace, (byNamespace.get(entry.namespace) ?? 0) + 1);
  }
  const waiting = entries
    .filter((entry) => entry.slot.kind === 'waiting')
    .sort((a, b) => queuedAt(a) - queuedAt(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const verdicts: Verdict[] = [];
  let clusterHeldBack: string | undefined;
  const namespacesHeldBack = new Map<string, string>();
  for (const [index, entry] of waiting.entries()) {
    const position = index + 1;
    const inNamespace = byNamespace.get(entry.namespace) ?? 0;
    const namespaceLimit = tighter(limits.namespace, entry.maxInNamespace);
    const wait = (message: string) =>
      verdicts.push({
        key: entry.key,
        granted: false,
        position,
        message: `position ${position} of ${waiting.length} in the release queue: ${message}`,
      });
    const aheadInNamespace = namespacesHeldBack.get(entry.namespace);
    if (clusterHeldBack !== undefined) {
      wait(`behind ${clusterHeldBack}, which waits for a slot in the cluster`);
    } else if (aheadInNamespace !== undefined) {
      wait(`behind ${aheadInNamespace}, which waits for a slot in namespace ${entry.namespace}`);
    } else if (limits.cluster !== undefined && cluster >= limits.cluster) {
      clusterHeldBack = entry.key;
      wait(`${releases(cluster)} in analysis in the cluster (--max-releases ${limits.cluster})`);
    } else if (namespaceLimit !== undefined && inNamespace >= namespaceLimit) {
      namespacesHeldBack.set(entry.namespace, entry.key);
      wait(
        `${releases(inNamespace)} in analysis in namespace ${entry.namespace} (limit ${namespaceLimit})`,
      );
    } else {
      cluster++;
      byNamespace.set(entry.namespace, inNamespace + 1);
      verdicts.push({
        key: entry.key,
        granted: true,
        message: `slot granted: ${releases(inNamespace + 1)} in analysis in namespace ${entry.namespace}, ${cluster} in the cluster`,
      });
    }
  }
  return verdicts;
}

/**
 * How far apart the clocks of two replicas may be: a grant is taken as recorded in status once
 * the status says the slot was granted no earlier than this before the grant's entry.
 */
const CLOCK_SKEW_MS = 5_000;

/** A grant in the release ledger: when it was made, and when the release it went to was queued. */
export interface Grant {
  at: number;
  queuedAt: number | null;
}

/**
 * The entries with the release ledger's recent grants counted as holding: another replica's
 * grant may not have reached its Rollout's status, as this replica caches it, yet. A grant
 * counts until that status says the slot was granted at or after it (held, or its release
 * already over). A release waiting here that a grant names (queued at the same time, so the
 * same release) was granted by a replica that held its shard before: it is `reserved`, and
 * starts without a new grant. A grant for an earlier release of a Rollout that waits here
 * again (a new revision replaced the release) counts for nothing.
 */
export function withRecentGrants(
  entries: readonly QueueEntry[],
  grants: ReadonlyMap<string, Grant>,
): { entries: QueueEntry[]; reserved: string[] } {
  const byKey = new Map(entries.map((entry) => [entry.key, entry]));
  const reserved: string[] = [];
  for (const [key, grant] of grants) {
    const entry = byKey.get(key);
    const recorded = entry?.grantedAt != null && entry.grantedAt >= grant.at - CLOCK_SKEW_MS;
    if (recorded || entry?.slot.kind === 'holding') continue;
    if (entry?.slot.kind === 'waiting') {
      if (entry.slot.queuedAt !== grant.queuedAt) continue;
      reserved.push(key);
    }
    const namespace = entry?.namespace ?? key.slice(0, key.indexOf('/'));
    byKey.set(key, { ...entry, key, namespace, slot: { kind: 'holding' } });
  }
  return { entries: [...byKey.values()], reserved };
}

function queuedAt(entry: QueueEntry): number {
  return entry.slot.kind === 'waiting' ? entry.slot.queuedAt : Number.POSITIVE_INFINITY;
}

/** The `Queued` condition for a verdict: True while the release waits, False once it may start. */
export function queuedCondition(verdict: Verdict): ConditionUpdate {
  return verdict.granted
    ? { type: CONDITION_QUEUED, status: 'False', reason: 'SlotGranted', message: verdict.message }
    : {
        type: CONDITION_QUEUED,
        status: 'True',
        reason: 'WaitingForSlot',
        message: verdict.message,
      };
}
