import type { KubeObject } from '../kube/api-server.js';
import { ProgressDeadline } from './effects/context.js';

/** What a readiness check reads of a Deployment: a GET's answer or the watch's copy. */
export type ReadinessSubject = KubeObject & {
  spec?: { replicas?: number };
  status?: unknown;
};

export interface ReadinessWait<T extends ReadinessSubject = ReadinessSubject> {
  namespace: string;
  name: string;
  /** The authoritative read of the Deployment (a GET); null when it is missing. */
  read(): Promise<T | null>;
  /**
   * The API server's answer to the effect's own write of the Deployment's spec (or its read
   * just before a write it found it did not need), taken as the first read instead of a GET:
   * a copy of that generation or later holds the spec as written.
   */
  written?: T;
  check(deployment: ReadinessSubject | null): { done: boolean; reason: string };
  /** Epoch ms; past it the wait throws ProgressDeadline with the last reason. */
  deadline: number;
  signal: AbortSignal;
  /** The controller's --poll, from which the fallback read's period follows. */
  pollMs: number;
  what: string;
}

/** Waits until a Deployment is ready as `check` says. */
export interface DeploymentWaiter {
  wait<T extends ReadinessSubject>(request: ReadinessWait<T>): Promise<void>;
}

/**
 * All waiters together read the API server at most this often per second as a fallback. At
 * 1,000 Rollouts progressing on two cores the API server answered about 100 requests a second
 * in all, and 20 fallback reads a second were a fifth of them.
 */
const FALLBACK_READS_PER_S = 5;

/**
 * A watch resumes from the last resourceVersion it saw (missed events are replayed, a re-list
 * reports every change) and its watchdog re-opens one that is silent for 360 s, so a waiter
 * misses a change only while its watch hangs silently. For that, it reads the API server again
 * every max(10 × poll, 10 s), and no more often than keeps all `waiting` waiters together under
 * 5 reads a second: a hung watch delays a release by seconds (200 s with 1,000 waits at once,
 * still before the watchdog), never hangs it, and the fallback never crowds out the writes that
 * steps need (docs/scale.md).
 */
export const fallbackReadMs = (pollMs: number, waiting = 1) =>
  Math.min(
    Math.max(10 * pollMs, 10_000, Math.ceil((waiting * 1000) / FALLBACK_READS_PER_S)),
    2 ** 31 - 1,
  );

/** Past this many changes during one GET, the copy's place is left to the next read. */
const MAX_VERSIONS_DURING_READ = 64;

interface Waiter {
  /** A change of the Deployment was seen since the last look at the cache. */
  changed: boolean;
  /** While a read is in flight: the resourceVersions the watch delivered meanwhile. */
  versions: Set<string> | null;
  /** The last read's resourceVersion, and whether the watch has delivered it since. */
  readVersion: string | undefined;
  caughtUp: boolean;
  wake(): void;
}

/**
 * Waits for Deployments to become ready on the watch's events rather than a timer: one GET
 * to start (the cache may still hold the copy from before the effect's own write, whose old
 * generation looks ready), or the answer to that write, then the cached copy each time the
 * watch reports that Deployment. A cached copy counts once it is not older than that first
 * read: a later generation, or the same generation once the watch has delivered the GET's
 * resourceVersion (resourceVersions are only compared for equality, as Kubernetes allows);
 * after the effect's own write, any copy of the written generation: its spec is the one
 * written, only its status may be a moment older than the answer's. Waiters are keyed by Deployment and removed when their wait ends, resolved, failed
 * or aborted.
 */
export class DeploymentReadinessWatch implements DeploymentWaiter {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Waits under way now (a Deployment may have several). */
  private waiting = 0;

  constructor(
    private readonly cache: {
      get(namespace: string, name: string): ReadinessSubject | undefined;
    },
  ) {}

  /** The watch saw the Deployment change (added, updated or deleted). */
  changed(namespace: string, name: string): void {
    const waiters = this.waiters.get(keyOf(namespace, name));
    if (!waiters) return;
    const version = this.cache.get(namespace, name)?.metadata?.resourceVersion;
    for (const waiter of waiters) {
      // Each event is seen here, even when several arrive before the waiter wakes.
      if (waiter.versions && version !== undefined) {
        if (waiter.versions.size < MAX_VERSIONS_DURING_READ) waiter.versions.add(version);
      } else if (version !== undefined && version === waiter.readVersion) {
        waiter.caughtUp = true;
      }
      waiter.changed = true;
      waiter.wake();
    }
  }

  /** Deployments waited for now (each with one or more waiters). */
  get size(): number {
    return this.waiters.size;
  }

  async wait<T extends ReadinessSubject>(request: ReadinessWait<T>): Promise<void> {
    const { namespace, name, signal, deadline, what } = request;
    const key = keyOf(namespace, name);
    let resume: (() => void) | undefined;
    const waiter: Waiter = {
      changed: false,
      versions: null,
      readVersion: undefined,
      caughtUp: false,
      wake: () => resume?.(),
    };
    const stopped = () => new Error(`stopped waiting: ${what} is no longer needed`);
    if (signal.aborted) throw stopped();
    const onAbort = () => resume?.();
    signal.addEventListener('abort', onAbort, { once: true });
    const set = this.waiters.get(key) ?? new Set<Waiter>();
    set.add(waiter);
    this.waiting += 1;
    this.waiters.set(key, set);
    let written = request.written;
    try {
      for (;;) {
        // Subscribed before the read: a change during it is not lost.
        const cached = () => this.cache.get(namespace, name);
        const before = cached()?.metadata?.resourceVersion;
        waiter.versions = new Set(before === undefined ? [] : [before]);
        const read = written ?? (await request.read());
        if (signal.aborted) throw stopped();
        let state = request.check(read);
        if (state.done) return;
        const floor = read?.metadata?.generation ?? 0;
        waiter.readVersion = read?.metadata?.resourceVersion;
        waiter.caughtUp =
          written !== undefined ||
          (waiter.readVersion !== undefined && waiter.versions.has(waiter.readVersion));
        written = undefined;
        waiter.versions = null;
        // The copy may have moved past the read while it was in flight.
        waiter.changed = true;
        const fallbackAt = Math.min(
          Date.now() + fallbackReadMs(request.pollMs, this.waiting),
          deadline,
        );
        for (;;) {
          if (waiter.changed) {
            waiter.changed = false;
            const copy = cached();
            const generation = copy?.metadata?.generation ?? 0;
            if (copy && (generation > floor || (generation === floor && waiter.caughtUp))) {
              state = request.check(copy);
              if (state.done) return;
            }
          }
          const now = Date.now();
          if (now >= deadline) throw new ProgressDeadline(what, state.reason);
          if (now >= fallbackAt) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, fallbackAt - now);
            resume = () => {
              clearTimeout(timer);
              resolve();
            };
            if (waiter.changed || signal.aborted) resume();
          });
          resume = undefined;
          if (signal.aborted) throw stopped();
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      set.delete(waiter);
      this.waiting -= 1;
      if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
    }
  }
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
