import { type MachineDocument, parseMachineDocument } from '../../machines/persistence.js';
import type { Rollout } from '../api/types.js';
import { type SlotState, slotOf } from './release-queue.js';

/** Slots by cached Rollout object: the watch replaces the object on every change. */
const slots = new WeakMap<object, SlotState>();

/**
 * The release-queue slot a Rollout's stored status holds, read once per version of the cached
 * object: the release queue's pass runs after every reconcile and reads every Rollout, so
 * parsing each stored document every time cost O(Rollouts²) per resync.
 */
export function storedSlot(rollout: Rollout): SlotState {
  let slot = slots.get(rollout);
  if (!slot) {
    slot = slotOf(storedDocument(rollout.status?.machine));
    slots.set(rollout, slot);
  }
  return slot;
}

/** A stored machine document, or null when there is none fledge can read. */
function storedDocument(stored: unknown): MachineDocument | null {
  if (stored === undefined || stored === null) return null;
  try {
    return parseMachineDocument(stored);
  } catch {
    return null;
  }
}
