import type { RunningLoad } from './engine.js';
import type { LoadSummary } from './summary.js';

/** One load per rollout and target: a webhook fired every interval must not stack loads. */
export interface ActiveRun {
  key: string;
  startedAt: Date;
  summary: Promise<LoadSummary>;
}

export type Claim = { started: true; run: ActiveRun } | { started: false; run: ActiveRun };

export class LoadRuns {
  private readonly active = new Map<string, ActiveRun & { stop(): void }>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Starts `launch()` unless a run with this key is still going, which is returned instead. */
  claim(key: string, launch: () => RunningLoad): Claim {
    const running = this.active.get(key);
    if (running) return { started: false, run: running };
    const load = launch();
    const run = { key, startedAt: this.now(), summary: load.summary, stop: load.stop };
    this.active.set(key, run);
    const forget = () => {
      if (this.active.get(key) === run) this.active.delete(key);
    };
    load.summary.then(forget, forget);
    return { started: true, run };
  }

  get size(): number {
    return this.active.size;
  }

  /** Stops every run and waits until each has ended. */
  async stopAll(): Promise<void> {
    const runs = [...this.active.values()];
    for (const run of runs) run.stop();
    await Promise.allSettled(runs.map((run) => run.summary));
  }
}

export function runKey(namespace: string, name: string, url: URL): string {
  return `${namespace}/${name} ${url.href}`;
}
