import { type MachineDocument, parseMachineDocument } from '../../machines/persistence.js';
import type { Rollout } from '../api/types.js';
import { type SlotState, slotOf } from './release-queue.js';

interface Stored {
  slot: SlotState;
  grantedAt: number | null;
}

/** What the stored status says of the queue, by cached Rollout object: the watch replaces the object on every change. */
const stored = new WeakMap<object, Stored>();

/**
 * What a Rollout's stored status says of the release queue, read once per version of the
 * cached object: the release queue's pass runs after every reconcile and reads every Rollout,
 * so parsing each stored document every time cost O(Rollouts²) per resync.
 */
function storedOf(rollout: Rollout): Stored {
  let found = stored.get(rollout);
  if (!found) {
    const document = storedDocument(rollout.status?.machine);
    found = { slot: slotOf(document), grantedAt: document?.slotGrantedAt ?? null };
    stored.set(rollout, found);
  }
  return found;
}

/** The release-queue slot a Rollout's stored status holds. */
export const storedSlot = (rollout: Rollout): SlotState => storedOf(rollout).slot;

/** When the stored status says its current release was granted its slot (null: not yet, or none). */
export const storedGrantedAt = (rollout: Rollout): number | null => storedOf(rollout).grantedAt;

/** A stored machine document, or null when there is none fledge can read. */
function storedDocument(stored: unknown): MachineDocument | null {
  if (stored === undefined || stored === null) return null;
  try {
    return parseMachineDocument(stored);
  } catch {
    return null;
  }
}
