/**
 * The outer limits of anything offered as a Rollout, checked before the schema so that no
 * later step meets a value it cannot handle: plain JSON data only, at most MAX_DEPTH levels
 * of nesting (a recursive copy or reader would exhaust the stack on deeper input), and at most
 * MAX_BYTES of JSON in all (what etcd stores for one object). The walk is iterative and stops
 * at the first value past a limit, so a hostile input costs at most MAX_BYTES of reading.
 */
import type { Problem } from './problems.js';

/** A Rollout nests about 10 levels (metadata.managedFields mirrors its fields); 32 is ample. */
export const MAX_DEPTH = 32;

/** etcd's default request limit (--max-request-bytes): no larger object can be stored. */
export const MAX_BYTES = 1.5 * 1024 * 1024;

/** A field path is cut to this many segments in a problem: enough to find the field. */
const SHOWN_SEGMENTS = 8;

type Segment = string | number;

function pathOf(segments: readonly Segment[]): string {
  return segments
    .slice(0, SHOWN_SEGMENTS)
    .reduce<string>(
      (path, key) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key),
      '',
    );
}

function kindOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : String(value);
    case 'object': {
      if (value === null || Array.isArray(value)) return undefined;
      const prototype = Object.getPrototypeOf(value);
      return prototype === Object.prototype || prototype === null
        ? undefined
        : `a ${prototype?.constructor?.name ?? 'non-plain'} object`;
    }
    default:
      return `a ${typeof value}`;
  }
}

/**
 * The first way `value` is not plain, bounded JSON data, as a Problem on the field where it
 * happens; none when it is within bounds. Sizes count string lengths in UTF-16 code units and
 * a byte or two of JSON syntax per value: close to the JSON text, and never below it for ASCII.
 */
export function boundsProblems(value: unknown): Problem[] {
  const stack: { node: unknown; path: Segment[] }[] = [{ node: value, path: [] }];
  let bytes = 0;
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: Segment[] };
    const at = pathOf(path);
    const odd = kindOf(node);
    if (odd !== undefined) {
      return [
        {
          path: at || 'kind',
          message: `is ${odd}, which JSON cannot hold`,
          fix: 'write plain JSON or YAML data: strings, numbers, booleans, lists and maps',
        },
      ];
    }
    if (path.length > MAX_DEPTH) {
      return [
        {
          path: at,
          message: `nests more than ${MAX_DEPTH} levels deep`,
          fix: 'remove the nesting: no field of a Rollout is more than a few levels deep',
        },
      ];
    }
    bytes += typeof node === 'string' ? node.length + 2 : 2;
    if (node !== null && typeof node === 'object' && bytes <= MAX_BYTES) {
      // Each item or key costs at least a byte: a list too long is refused before it is read.
      const size = Array.isArray(node) ? node.length : Object.keys(node).length;
      bytes += size;
      if (bytes <= MAX_BYTES) {
        const entries: [Segment, unknown][] = Array.isArray(node)
          ? node.map((child, i) => [i, child])
          : Object.entries(node);
        for (const [key, child] of entries) {
          bytes += typeof key === 'string' ? key.length + 2 : 0;
          stack.push({ node: child, path: [...path, key] });
        }
      }
    }
    if (bytes > MAX_BYTES) {
      return [
        {
          path: at || 'kind',
          message: `makes the Rollout larger than ${MAX_BYTES / 1024 / 1024} MiB, the most the API server stores`,
          fix: 'shorten the longest values (queries, webhook metadata); a Rollout is normally a few KiB',
        },
      ];
    }
  }
  return [];
}

/** A copy of data that passed boundsProblems (so recursion is shallow), as JSON would make it. */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    Object.defineProperty(copy, key, {
      value: copyJson(child),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy as T;
}
