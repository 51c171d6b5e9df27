import type { ResourceType } from '../kube/resources.js';
import type { Cache, WatchSet } from './watch-set.js';
import { type AutoscalerVersion, autoscalerType } from './workload/autoscalers.js';
import type { WatchedAutoscaler } from './workload/watched-autoscaler.js';

export interface AutoscalerWatchOptions {
  /** The version to watch, as `Autoscalers.version` picks it (v2 where served). */
  discover(): Promise<AutoscalerVersion>;
  /** A watch of that version, its listeners attached, not started. */
  watch(type: ResourceType): WatchSet<WatchedAutoscaler>;
  /** Discovery failed, or neither version is served: asked again after `retryMs`. */
  unavailable(cause: unknown): void;
  retryMs: number;
}

/**
 * HorizontalPodAutoscalers, watched in one version: autoscaling/v2 where it is served (1.23
 * and later), else v2beta2 (1.20 to 1.22). A cluster that serves both is watched once, in v2:
 * both are views of the same objects, and the primary's copy is compared on fields they share.
 * The version is picked at start, and again only when the watched one stops being served (an
 * upgrade past 1.25 drops v2beta2): its watch reports the type missing, the cache is dropped
 * (reads go to the API server meanwhile) and discovery is asked again after `retryMs`.
 */
export class AutoscalerWatch {
  private current: WatchSet<WatchedAutoscaler> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: AutoscalerWatchOptions) {}

  /** The cache, once the watch has listed; undefined: read the API server instead. */
  cache(): Cache<WatchedAutoscaler> | undefined {
    return this.current?.hasSynced ? this.current : undefined;
  }

  start(): void {
    void this.pick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.current?.stop();
  }

  private async pick(): Promise<void> {
    let version: AutoscalerVersion;
    try {
      version = await this.options.discover();
    } catch (error) {
      this.options.unavailable(error);
      this.later();
      return;
    }
    if (this.stopped) return;
    const set = this.options.watch(autoscalerType(version));
    set.on('missing', () => void this.drop(set));
    this.current = set;
    set.start();
  }

  private async drop(set: WatchSet<WatchedAutoscaler>): Promise<void> {
    if (this.current !== set) return;
    this.current = undefined;
    await set.stop();
    this.later();
  }

  private later(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.pick(), this.options.retryMs);
    this.retry.unref();
  }
}
