import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ApiServer,
  isNotFound,
  type KubeObject,
  type ObjectWithMeta,
  statusCodeOf,
} from './api-server.js';
import { describeType, ResourceClient, type ResourceType, resourcePath } from './resources.js';

export type RelistReason = 'start' | 'gone' | 'watchdog' | 'resync' | 'error';

/** What a watcher reports. `add`/`update`/`delete` carry objects; the rest describe its health. */
export interface WatcherEvents<T extends ObjectWithMeta> {
  add: (object: T) => void;
  update: (object: T, previous: T) => void;
  delete: (object: T) => void;
  /** A full list replaced the cache; `resync` also follows every periodic re-list. */
  list: (reason: RelistReason, objects: T[]) => void;
  /** Periodic: every cached object, so the owner can reconcile even when nothing changed. */
  resync: (objects: T[]) => void;
  connect: (resourceVersion: string) => void;
  reconnect: (attempt: number, delayMs: number, cause: Error | null) => void;
  /** The resource type is not served (a CRD not installed); retried every missingRetryMs. */
  missing: (cause: Error) => void;
  giveUp: (cause: Error) => void;
}

export interface WatcherOptions {
  resource: ResourceType;
  /** One namespace, or all when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Asks the server to end each watch after this long, so connections are renewed. */
  watchTimeoutSeconds?: number;
  /**
   * Re-list when nothing (event, bookmark, server close) arrived for this long: a silently
   * dead connection is otherwise never noticed, client-node's watch timeout never fires.
   */
  watchdogMs?: number;
  /** Re-list and emit `resync` this often. */
  resyncMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  missingRetryMs?: number;
  /** Consecutive failures before `giveUp`; unlimited by default, as a controller should keep trying. */
  maxFailures?: number;
}

type Listener = (...args: never[]) => void;

/**
 * List, then watch from the list's resourceVersion, keeping an in-memory cache keyed by
 * namespace/name. 410 Gone re-lists; any other failure reconnects with jittered backoff;
 * a watchdog and a periodic resync re-list; stop() closes the connection and every timer.
 */
export class Watcher<T extends ObjectWithMeta = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly listeners = new Map<keyof WatcherEvents<T>, Listener[]>();
  private readonly client: ResourceClient<T>;
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private resourceVersion: string | undefined;
  private failures = 0;
  private nextResyncAt = 0;
  private synced = false;
  private readonly options: Required<
    Omit<WatcherOptions, 'namespace' | 'labelSelector' | 'fieldSelector'>
  > &
    WatcherOptions;

  constructor(
    private readonly api: ApiServer,
    options: WatcherOptions,
  ) {
    this.options = {
      watchTimeoutSeconds: 300,
      watchdogMs: 330_000,
      resyncMs: 600_000,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      missingRetryMs: 30_000,
      maxFailures: Number.POSITIVE_INFINITY,
      ...options,
    };
    this.client = new ResourceClient<T>(api, options.resource);
  }

  on<E extends keyof WatcherEvents<T>>(event: E, listener: WatcherEvents<T>[E]): this {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as Listener);
    this.listeners.set(event, list);
    return this;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await this.loop;
  }

  /** True once the first list filled the cache. */
  get hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(cacheKey(namespace, name));
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private emit<E extends keyof WatcherEvents<T>>(
    event: E,
    ...args: Parameters<WatcherEvents<T>[E]>
  ): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as unknown as (...a: Parameters<WatcherEvents<T>[E]>) => void)(...args);
      } catch (error) {
        // A faulty listener must not break the watch of everyone else; it is still reported.
        process.emitWarning(
          `watcher ${describeType(this.options.resource)}: ${event} listener threw: ${String(error)}`,
        );
      }
    }
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    let relist: RelistReason | undefined = 'start';
    while (!this.stopped) {
      try {
        if (relist) {
          await this.relist(relist);
          relist = undefined;
        }
        relist = await this.watchOnce();
        this.failures = 0;
      } catch (error) {
        if (this.stopped) break;
        const cause = error instanceof Error ? error : new Error(String(error));
        if (isNotFound(error)) {
          relist = 'error';
          this.emit('missing', cause);
          await this.pause(this.options.missingRetryMs);
          continue;
        }
        this.failures += 1;
        if (this.failures >= this.options.maxFailures) {
          this.emit('giveUp', cause);
          return;
        }
        const delayMs = this.backoff();
        this.emit('reconnect', this.failures, delayMs, cause);
        await this.pause(delayMs);
        relist ??= statusCodeOf(error) === 410 ? 'gone' : undefined;
      }
    }
  }

  private backoff(): number {
    const ceiling = Math.min(
      this.options.backoffMaxMs,
      this.options.backoffInitialMs * 2 ** (this.failures - 1),
    );
    return Math.round(ceiling * (0.5 + Math.random() / 2));
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.stopController.signal });
    } catch {
      // stop() aborts the pause; the loop then sees `stopped`.
    }
  }

  private async relist(reason: RelistReason): Promise<void> {
    const { namespace, labelSelector, fieldSelector } = this.options;
    const { items, resourceVersion } = await this.client.list(
      namespace,
      { labelSelector, fieldSelector },
      { signal: this.stopController.signal },
    );
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const previous = this.cache.get(key);
      this.cache.set(key, item);
      if (!previous) this.emit('add', item);
      else if (previous.metadata?.resourceVersion !== item.metadata?.resourceVersion) {
        this.emit('update', item, previous);
      }
    }
    for (const [key, previous] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('delete', previous);
      }
    }
    this.resourceVersion = resourceVersion;
    this.nextResyncAt = Date.now() + this.options.resyncMs;
    this.synced = true;
    this.emit('list', reason, items);
    if (reason === 'resync') this.emit('resync', this.list());
  }

  /** One watch connection; resolves with the reason to re-list, or undefined to just reconnect. */
  private async watchOnce(): Promise<RelistReason | undefined> {
    const { namespace, labelSelector, fieldSelector, watchTimeoutSeconds } = this.options;
    const connection = new AbortController();
    // Derived, not listened to: a stop() that came before this watch (say, from a 'list'
    // listener) has already fired its 'abort', and would otherwise leave the watch open.
    const signal = AbortSignal.any([this.stopController.signal, connection.signal]);
    let outcome: RelistReason | undefined;
    let lastSeen = Date.now();
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastSeen > this.options.watchdogMs) {
          outcome = 'watchdog';
          connection.abort();
        }
      },
      Math.max(100, Math.min(this.options.watchdogMs / 4, 5_000)),
    );
    const resync = setTimeout(
      () => {
        outcome = 'resync';
        connection.abort();
      },
      Math.max(0, this.nextResyncAt - Date.now()),
    );
    try {
      const response = await this.api.stream(resourcePath(this.options.resource, namespace), {
        query: {
          watch: 'true',
          allowWatchBookmarks: 'true',
          resourceVersion: this.resourceVersion,
          timeoutSeconds: Math.max(1, Math.round(watchTimeoutSeconds * (1 + Math.random() / 10))),
          labelSelector,
          fieldSelector,
        },
        signal,
      });
      const connectedAt = Date.now();
      lastSeen = connectedAt;
      this.emit('connect', this.resourceVersion ?? '');
      let events = 0;
      const gone = await this.consume(response, () => {
        lastSeen = Date.now();
        events += 1;
      });
      if (outcome || gone) return outcome ?? 'gone';
      // A server or proxy that ends every watch at once would otherwise be re-dialled in a
      // tight loop; treating it as a failure brings in the backoff.
      if (events === 0 && Date.now() - connectedAt < immediateCloseMs) {
        throw new Error(
          `watch ${describeType(this.options.resource)}: the server ended the watch at once without events; check proxies between fledge and the API server`,
        );
      }
      return undefined;
    } catch (error) {
      if (outcome || this.stopped) return outcome;
      throw error;
    } finally {
      clearInterval(watchdog);
      clearTimeout(resync);
      connection.abort();
    }
  }

  /** Reads watch events until the stream ends; true when the server said 410 Gone. */
  private consume(response: IncomingMessage, seen: () => void): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let gone = false;
      let failure: Error | undefined;
      const fail = (error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
        response.destroy();
      };
      const lines = createInterface({ input: response, crlfDelay: Number.POSITIVE_INFINITY });
      // readline re-emits the stream's errors on itself, and an unheard 'error' would crash.
      lines.on('error', fail);
      response.on('error', fail);
      lines.on('line', (line) => {
        if (!line.trim() || failure || gone) return;
        seen();
        try {
          gone = this.apply(JSON.parse(line) as WatchEvent<T>);
        } catch (error) {
          fail(error);
        }
        if (gone) response.destroy();
      });
      response.on('close', () => (failure && !gone ? reject(failure) : resolve(gone)));
    });
  }

  private apply(event: WatchEvent<T>): boolean {
    const object = event.object;
    if (event.type === 'ERROR') {
      const status = object as unknown as { code?: number; message?: string };
      if (status.code === 410) return true;
      throw new Error(
        `watch ${describeType(this.options.resource)}: server error ${status.code}: ${status.message}`,
      );
    }
    const version = object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (event.type === 'BOOKMARK') return false;
    const key = keyOf(object);
    const previous = this.cache.get(key);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', object);
    } else {
      this.cache.set(key, object);
      if (previous) this.emit('update', object, previous);
      else this.emit('add', object);
    }
    return false;
  }
}

const immediateCloseMs = 200;

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

const cacheKey = (namespace: string | undefined, name: string) =>
  namespace ? `${namespace}/${name}` : name;

const keyOf = (object: ObjectWithMeta) =>
  cacheKey(object.metadata?.namespace, object.metadata?.name ?? '');
