import { isObject } from '../api/json.js';
import { jsonEqual } from './patch.js';

/**
 * `next`, with every part that equals the same part of `previous` taken from `previous`
 * instead. A Rollout is read again after each of its status writes: by the watch, by its status
 * writer, and its runner keeps the history it wrote. Without sharing, each holds its own copy of
 * the spec and of every history entry, though one write changes only a few fields. With it,
 * versions of one object share what did not change, and the copy just parsed is left to the
 * garbage collector. For JSON values only (no Dates, Maps or class instances), never mutated
 * after they are made: a change made in place would show in every version sharing the part.
 */
export function sharingWith<T>(previous: unknown, next: T): T {
  if (previous === next) return previous as T;
  if (Array.isArray(previous) && Array.isArray(next)) return sharedArray(previous, next) as T;
  if (isObject(previous) && isObject(next)) return sharedObject(previous, next) as T;
  return next;
}

function sharedObject(
  previous: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const keys = Object.keys(next);
  let same = keys.length === Object.keys(previous).length;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = sharingWith(previous[key], next[key]);
    out[key] = value;
    if (value !== previous[key] || !(key in previous)) same = false;
  }
  return same ? previous : out;
}

/**
 * Items are matched by position, after the offset at which `next` starts within `previous`: a
 * history at its cap drops its oldest entries as it appends, so its items move down.
 */
function sharedArray(previous: unknown[], next: unknown[]): unknown[] {
  const offset = offsetOf(previous, next);
  let same = previous.length === next.length && offset === 0;
  const out = next.map((item, index) => {
    const value = sharingWith(previous[index + offset], item);
    if (value !== previous[index + offset]) same = false;
    return value;
  });
  return same ? previous : out;
}

function offsetOf(previous: unknown[], next: unknown[]): number {
  if (next.length === 0 || jsonEqual(previous[0], next[0])) return 0;
  for (let offset = 1; offset < previous.length; offset += 1) {
    if (jsonEqual(previous[offset], next[0])) return offset;
  }
  return 0;
}
