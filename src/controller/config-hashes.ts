import type { Logger } from 'pino';
import { type ConfigRef, configKey } from './reference-index.js';
import type { ConfigHash } from './revision.js';

/** Reads one ConfigMap or Secret and keeps only its digest; null when it does not exist. */
export type ConfigReader = (
  ref: ConfigRef,
  signal: AbortSignal,
) => Promise<{ resourceVersion: string; hash: string } | null>;

export interface ConfigHashesOptions {
  read: ConfigReader;
  /** A referenced object's digest changed (or is known for the first time). */
  changed(ref: ConfigRef): void;
  log: Logger;
  /** Reads in flight at once, so a start with thousands of references does not flood the API server. */
  concurrency?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

interface Entry {
  ref: ConfigRef;
  /** Readers of it; the entry goes with the last. */
  readers: number;
  /** The newest resourceVersion the metadata watch reported; null: it reported a delete. */
  seen: string | null | undefined;
  /** What the last read found: its resourceVersion (null: absent) and digest. */
  read?: { resourceVersion: string | null; hash: ConfigHash };
  reading: boolean;
  queued: boolean;
  /** The watch reported a version while a read was on its way. */
  seenWhileReading: boolean;
  failures: number;
  retry?: NodeJS.Timeout;
}

/**
 * The digests of the ConfigMaps and Secrets that targets reference, and of nothing else. A
 * metadata-only watch reports every change of a resourceVersion; an object some target reads
 * is then read once (GET) and only its digest is kept, so Secret data is never held, and the
 * cache grows with the references, not with the cluster. Entries come and go with their first
 * and last reader (`retain`, `release`, from the ReferenceIndex).
 */
export class ConfigHashes {
  private readonly entries = new Map<string, Entry>();
  private readonly waiting: Entry[] = [];
  private inFlight = 0;
  private readonly stopping = new AbortController();
  private readonly concurrency: number;

  constructor(private readonly options: ConfigHashesOptions) {
    this.concurrency = options.concurrency ?? 8;
  }

  /** The digest of a referenced object; undefined until it has been read once. */
  get(ref: ConfigRef): ConfigHash | undefined {
    return this.entries.get(configKey(ref))?.read?.hash;
  }

  get size(): number {
    return this.entries.size;
  }

  retain(ref: ConfigRef): void {
    const key = configKey(ref);
    const entry = this.entries.get(key);
    if (entry) {
      entry.readers++;
      return;
    }
    const created: Entry = {
      ref,
      readers: 1,
      seen: undefined,
      reading: false,
      queued: false,
      seenWhileReading: false,
      failures: 0,
    };
    this.entries.set(key, created);
    this.schedule(created);
  }

  release(ref: ConfigRef): void {
    const key = configKey(ref);
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.readers--;
    if (entry.readers > 0) return;
    clearTimeout(entry.retry);
    this.entries.delete(key);
  }

  /** The metadata watch reported the object at this resourceVersion (added or changed). */
  observed(ref: ConfigRef, resourceVersion: string): void {
    const entry = this.entries.get(configKey(ref));
    if (!entry) return;
    entry.seen = resourceVersion;
    if (entry.reading) entry.seenWhileReading = true;
    if (entry.read?.resourceVersion !== resourceVersion) this.schedule(entry);
  }

  /** The metadata watch reported its deletion. */
  deleted(ref: ConfigRef): void {
    const entry = this.entries.get(configKey(ref));
    if (!entry) return;
    entry.seen = null;
    if (entry.reading) entry.seenWhileReading = true;
    if (entry.read?.resourceVersion !== null) this.schedule(entry);
  }

  /**
   * A full list of one kind in `namespace` (all when undefined): referenced objects it lacks
   * were deleted while no watch was open.
   */
  listed(kind: ConfigRef['kind'], namespace: string | undefined, present: ConfigRef[]): void {
    const keys = new Set(present.map(configKey));
    for (const entry of this.entries.values()) {
      const { ref } = entry;
      if (ref.kind !== kind || (namespace !== undefined && ref.namespace !== namespace)) continue;
      if (!keys.has(configKey(ref))) this.deleted(ref);
    }
  }

  stop(): void {
    this.stopping.abort();
    for (const entry of this.entries.values()) clearTimeout(entry.retry);
  }

  private schedule(entry: Entry): void {
    if (entry.reading || entry.retry || entry.queued) return;
    entry.queued = true;
    this.waiting.push(entry);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift() as Entry;
      entry.queued = false;
      if (this.entries.get(configKey(entry.ref)) !== entry) continue;
      this.inFlight++;
      entry.reading = true;
      void this.readOne(entry).finally(() => {
        this.inFlight--;
        entry.reading = false;
        this.pump();
      });
    }
  }

  private async readOne(entry: Entry): Promise<void> {
    if (this.stopping.signal.aborted) return;
    entry.seenWhileReading = false;
    let found: { resourceVersion: string; hash: string } | null;
    try {
      found = await this.options.read(entry.ref, this.stopping.signal);
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      entry.failures++;
      const ceiling = Math.min(
        this.options.backoffMaxMs ?? 30_000,
        (this.options.backoffInitialMs ?? 500) * 2 ** (entry.failures - 1),
      );
      const delay = Math.round(ceiling * (0.5 + Math.random() / 2));
      this.options.log.warn(
        { err: error, config: configKey(entry.ref), retryInMs: delay },
        `could not read ${entry.ref.kind} ${entry.ref.namespace}/${entry.ref.name}, which a target references; its revision waits for it`,
      );
      entry.retry = setTimeout(() => {
        entry.retry = undefined;
        this.schedule(entry);
      }, delay);
      entry.retry.unref();
      return;
    }
    entry.failures = 0;
    if (this.entries.get(configKey(entry.ref)) !== entry) return;
    const before = entry.read;
    entry.read = found
      ? { resourceVersion: found.resourceVersion, hash: found.hash }
      : { resourceVersion: null, hash: null };
    // The watch reported another version while this read was on its way: read again, once.
    if (entry.seenWhileReading && entry.seen !== entry.read.resourceVersion) {
      queueMicrotask(() => this.schedule(entry));
    }
    if (before?.hash !== entry.read.hash || before === undefined) this.options.changed(entry.ref);
  }
}
