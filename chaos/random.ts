/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same
 * sequence, so a chaos run's choices (which fault when, which canary is faulty) replay.
 */
export interface Random {
  /** In [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('cannot pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}

/**
 * An independent stream per purpose (the fault schedule, each rollout), so that what one
 * draws does not depend on how often, in a run's timing, another drew before it.
 */
export function stream(seed: number, purpose: string): Random {
  let hash = 2166136261;
  for (const char of `${seed}:${purpose}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return seededRandom(hash);
}
