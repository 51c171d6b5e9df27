import type { RestorePoint } from './context.js';
import type { StateMeta } from './meta.js';

interface StateConfigLike {
  meta?: StateMeta;
  states?: Record<string, StateConfigLike>;
  [other: string]: unknown;
}

/** Every state of a chart config that declares `meta`, with its path from the root. */
function* statesWithMeta(
  states: Record<string, StateConfigLike>,
  path: string[] = [],
): Generator<{ path: string[]; meta: StateMeta }> {
  for (const [key, config] of Object.entries(states)) {
    if (config.meta) yield { path: [...path, key], meta: config.meta };
    if (config.states) yield* statesWithMeta(config.states, [...path, key]);
  }
}

/** The states a restore re-enters, by restore point, read from the chart's `meta`. */
export function restoreEntries(
  states: Record<string, StateConfigLike>,
): Array<{ point: RestorePoint; path: string[] }> {
  const entries: Array<{ point: RestorePoint; path: string[] }> = [];
  for (const { path, meta } of statesWithMeta(states)) {
    if (!meta.entry || !meta.restorePoint) continue;
    if (entries.some((entry) => entry.point === meta.restorePoint)) {
      throw new Error(`restore point ${meta.restorePoint} has two entries; give it one`);
    }
    entries.push({ point: meta.restorePoint, path });
  }
  return entries;
}

/** The `restoring` state's transitions: one per restore point, into the state it re-enters. */
export function restoreTransitions(states: Record<string, StateConfigLike>) {
  return restoreEntries(states).map(({ point, path }) => ({
    guard: { type: 'resumesAt' as const, params: { point } },
    target: path.join('.'),
  }));
}
