/**
 * Smooth weighted round-robin (as in nginx): over any window of sum(weights) picks, each
 * option is chosen exactly in proportion to its weight, spread evenly rather than in runs.
 * Deterministic, so tests can hold tight bounds on traffic shares.
 */
export class SmoothWeightedRoundRobin<T> {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly options: ReadonlyArray<{ value: T; weight: number }>) {
    this.current = options.map(() => 0);
    this.total = options.reduce((sum, option) => sum + Math.max(0, option.weight), 0);
  }

  /** The next option, or undefined when no option has a positive weight. */
  next(): T | undefined {
    if (this.total <= 0) return undefined;
    let best = -1;
    for (let i = 0; i < this.options.length; i++) {
      const weight = Math.max(0, this.options[i]?.weight ?? 0);
      const current = (this.current[i] ?? 0) + weight;
      this.current[i] = current;
      if (weight > 0 && (best < 0 || current > (this.current[best] ?? 0))) best = i;
    }
    this.current[best] = (this.current[best] ?? 0) - this.total;
    return this.options[best]?.value;
  }
}
