/**
 * Per-second rates of growing counters (requests a pod served), over a sliding window of
 * samples, the way Prometheus' rate() reads them. Bounded: `maxKeys` counters, samples no
 * older than the window. Pure.
 */
export class CounterRates {
  private readonly samples = new Map<string, Array<{ at: number; value: number }>>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  observe(key: string, at: number, value: number): void {
    let series = this.samples.get(key);
    if (!series) {
      if (this.samples.size >= this.maxKeys) return;
      series = [];
      this.samples.set(key, series);
    }
    const last = series.at(-1);
    // A counter that went down was reset (the pod's series was forgotten): start again.
    if (last && value < last.value) series.length = 0;
    series.push({ at, value });
    while (series.length > 2 && (series[1]?.at ?? at) <= at - this.windowMs) series.shift();
  }

  /** Per second over the samples in the window; 0 until there are two of them. */
  rate(key: string): number {
    const series = this.samples.get(key) ?? [];
    const first = series[0];
    const last = series.at(-1);
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.value - first.value) * 1000) / (last.at - first.at);
  }

  /** Drops every counter not in `live`. */
  retain(live: Set<string>): void {
    for (const key of this.samples.keys()) if (!live.has(key)) this.samples.delete(key);
  }
}
