import { isObject } from '../api/json.js';
import { isConflict } from './api-server.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The RFC 7386 merge patch that turns `from` into `to`: changed fields, null for removed
 * ones, arrays whole. A null in `to` means absent, as the server stores it. Returns undefined
 * when nothing changed, so callers can skip the write.
 */
export function mergePatchBetween(from: unknown, to: unknown): Json | undefined {
  if (!isObject(from) || !isObject(to)) {
    return jsonEqual(from, to) ? undefined : ((to ?? null) as Json);
  }
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(from)) {
    if (!(key in to) || to[key] === undefined) {
      if (from[key] !== undefined) patch[key] = null;
    }
  }
  for (const [key, value] of Object.entries(to)) {
    // A null removes the field: where there is none, it changes nothing.
    if (value === undefined || (value === null && from[key] === undefined)) continue;
    const inner = mergePatchBetween(from[key], value);
    if (inner !== undefined) patch[key] = inner;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    return keysA.length === keysB.length && keysA.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  /** Injectable so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` again while the API server answers 409 Conflict. Each attempt must read
 * the object fresh and reapply its change; delays grow with jitter so competing writers
 * spread out. After the last attempt the conflict is thrown with advice attached.
 */
export async function retryOnConflict<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const sleep = options.sleep ?? sleepFor;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isConflict(error) || n >= attempts) {
        if (isConflict(error) && error instanceof Error) {
          error.message += ` (still conflicting after ${attempts} attempts: another writer keeps changing the object; the next reconcile retries)`;
        }
        throw error;
      }
      await sleep(baseDelayMs * 2 ** (n - 1) * (0.5 + Math.random()));
    }
  }
}
