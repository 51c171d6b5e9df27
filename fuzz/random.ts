/**
 * A small seeded generator (mulberry32). Every case draws from its own generator, seeded by
 * the run's seed, the target and the case number, so one case can be replayed alone and a
 * worker restarted after a hang continues with exactly the cases it would have run.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator of case `index` of `target` in the run seeded with `seed`. */
  static forCase(seed: number, target: string, index: number): Random {
    let hash = 2166136261 ^ seed;
    for (const char of `${target}#${index}`) {
      hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
    }
    return new Random(hash);
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
