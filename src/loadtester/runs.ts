import type { RunningLoad } from './engine.js';
import type { LoadSummary } from './summary.js';

/** One load per rollout and target: a webhook fired every interval must not stack loads. */
export interface ActiveRun {
  key: string;
  startedAt: Date;
  summary: Promise<LoadSummary>;
}

/** How much load runs at once: a count, and the memory the runs are estimated to hold. */
export interface RunBudget {
  maxRuns: number;
  memoryBytes: number;
}

export type Claim =
  | { outcome: 'started'; run: ActiveRun }
  | { outcome: 'running'; run: ActiveRun }
  /** Past the budget: the reason says what to do. */
  | { outcome: 'refused'; reason: string };

const MiB = 1024 * 1024;

export class LoadRuns {
  private readonly active = new Map<string, ActiveRun & { stop(): void; costBytes: number }>();
  private heldBytes = 0;

  constructor(
    readonly budget: RunBudget,
    private readonly now: () => Date = () => new Date(),
  ) {}

  find(key: string): ActiveRun | undefined {
    return this.active.get(key);
  }

  /**
   * Starts `launch()` unless a run with this key is still going, which is returned instead, or
   * the run would go past the budget.
   */
  claim(key: string, costBytes: number, launch: () => RunningLoad): Claim {
    const running = this.active.get(key);
    if (running) return { outcome: 'running', run: running };
    if (this.active.size >= this.budget.maxRuns) {
      return {
        outcome: 'refused',
        reason: `${this.active.size} load runs are going, the most the loadtester runs at once: retry when one ends`,
      };
    }
    if (this.heldBytes + costBytes > this.budget.memoryBytes) {
      const free = Math.max(0, this.budget.memoryBytes - this.heldBytes);
      return {
        outcome: 'refused',
        reason:
          `this load needs about ${mib(costBytes)} MiB and the loadtester has ${mib(free)} of ` +
          `${mib(this.budget.memoryBytes)} MiB left for load: retry when a run ends, or lower connections or the body size`,
      };
    }
    const load = launch();
    const run = {
      key,
      startedAt: this.now(),
      summary: load.summary,
      stop: load.stop,
      costBytes,
    };
    this.active.set(key, run);
    this.heldBytes += costBytes;
    const forget = () => {
      if (this.active.get(key) !== run) return;
      this.active.delete(key);
      this.heldBytes -= run.costBytes;
    };
    load.summary.then(forget, forget);
    return { outcome: 'started', run };
  }

  get size(): number {
    return this.active.size;
  }

  get memoryBytes(): number {
    return this.heldBytes;
  }

  /** Stops every run and waits until each has ended. */
  async stopAll(): Promise<void> {
    const runs = [...this.active.values()];
    for (const run of runs) run.stop();
    await Promise.allSettled(runs.map((run) => run.summary));
  }
}

/** The fragment never reaches the target, so `#a` and `#b` are the same target. */
export function runKey(namespace: string, name: string, url: URL): string {
  return `${namespace}/${name} ${url.origin}${url.pathname}${url.search}`;
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
