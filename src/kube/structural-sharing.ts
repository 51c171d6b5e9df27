/**
 * `next`, with every part that equals the same part of `previous` taken from `previous`
 * instead. A Rollout is read again after each of its status writes: by the watch, by its status
 * writer, and its runner keeps the history it wrote. Without sharing, each holds its own copy of
 * the spec and of every history entry, though one write changes only a few fields. With it,
 * versions of one object share what did not change, and the copy just parsed is left to the
 * garbage collector. Only plain objects and arrays are shared (JSON as parsed); nothing shared
 * may be changed in place, as the change would show in every version that shares the part.
 */
export function sharingWith<T>(previous: unknown, next: T): T {
  return shared(previous, next, 0) as T;
}

/**
 * Deeper parts are kept as received: `status.machine` takes any fields, and a document nested
 * thousands deep would otherwise overflow the stack of whoever caches it.
 */
const MAX_DEPTH = 64;

function shared(previous: unknown, next: unknown, depth: number): unknown {
  if (previous === next) return previous;
  if (depth >= MAX_DEPTH) return next;
  if (Array.isArray(previous) && Array.isArray(next)) return sharedArray(previous, next, depth);
  if (isPlain(previous) && isPlain(next)) return sharedObject(previous, next, depth);
  return next;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const own = (object: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

function sharedObject(
  previous: Record<string, unknown>,
  next: Record<string, unknown>,
  depth: number,
): Record<string, unknown> {
  const keys = Object.keys(next);
  let same = keys.length === Object.keys(previous).length;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const before = own(previous, key);
    const value = shared(before, next[key], depth + 1);
    // A key named __proto__ (JSON may carry one) is a field, not the object's prototype.
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    if (value !== before || !Object.hasOwn(previous, key)) same = false;
  }
  return same ? previous : out;
}

/**
 * Items are matched by position, after the offset at which `next` starts within `previous`: a
 * history at its cap drops its oldest entries as it appends, so its items move down.
 */
function sharedArray(previous: unknown[], next: unknown[], depth: number): unknown[] {
  const offset = offsetOf(previous, next, depth);
  let same = previous.length === next.length && offset === 0;
  const out = next.map((item, index) => {
    const value = shared(previous[index + offset], item, depth + 1);
    if (value !== previous[index + offset]) same = false;
    return value;
  });
  return same ? previous : out;
}

function offsetOf(previous: unknown[], next: unknown[], depth: number): number {
  if (next.length === 0 || equal(previous[0], next[0], depth)) return 0;
  for (let offset = 1; offset < previous.length; offset += 1) {
    if (equal(previous[offset], next[0], depth)) return offset;
  }
  return 0;
}

/** JSON equality, false for what lies deeper than MAX_DEPTH (it is not shared anyway). */
function equal(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => equal(item, b[i], depth + 1));
  }
  if (isPlain(a) && isPlain(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key], depth + 1))
    );
  }
  return false;
}
