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
import { withoutManagedFields } from './managed-fields.js';
import { describeType, ResourceClient, type ResourceType, resourcePath } from './resources.js';
import { sharingWith } from './structural-sharing.js';

export type RelistReason = 'start' | 'gone' | 'error';

/** What a watcher reports. `add`/`update`/`delete` carry objects; the rest describe its health. */
export interface WatcherEvents<T extends ObjectWithMeta> {
  add: (object: T) => void;
  update: (object: T, previous: T) => void;
  delete: (object: T) => void;
  /** A full list replaced the cache (`objects`: every object listed, kept or not). */
  list: (reason: RelistReason, objects: T[]) => void;
  connect: (resourceVersion: string) => void;
  reconnect: (attempt: number, delayMs: number, cause: Error | null) => void;
  /** Nothing arrived for the watchdog's time: the watch is opened again from where it was. */
  idle: (silentMs: number) => void;
  /** The resource type is not served (a CRD not installed); retried every missingRetryMs. */
  missing: (cause: Error) => void;
  giveUp: (cause: Error) => void;
}

export interface WatcherOptions<T extends ObjectWithMeta = KubeObject> {
  resource: ResourceType;
  /** One namespace, or all when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Asks the server to end each watch after this long, so connections are renewed. */
  watchTimeoutSeconds?: number;
  /**
   * Opens the watch again (from the last resourceVersion) when nothing (event, bookmark,
   * server close) arrived for this long: a silently dead connection is otherwise never
   * noticed, client-node's watch timeout never fires.
   */
  watchdogMs?: number;
  /** Objects per page of a list, so that no answer (and no parse of it) grows with the cluster. */
  pageSize?: number;
  /**
   * Lists and watches PartialObjectMetadata: names, labels and resourceVersions, never the
   * objects' contents (Kubernetes 1.15 and later serve it for every type).
   */
  metadataOnly?: boolean;
  /**
   * What is kept of each object (managedFields are always dropped first): the cache and every
   * listener see the result.
   */
  transform?: (object: KubeObject) => T;
  /** Whether an object is cached at all; those that are not are still reported. Default: all. */
  keep?: (object: T) => boolean;
  /**
   * A copy the caller already holds of an object (say, the answer to its own write). A new
   * version at that copy's resourceVersion is cached as that copy's parts, not as a second
   * copy of them; otherwise it shares what did not change with the version cached before.
   */
  heldCopy?: (object: T) => T | undefined;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  missingRetryMs?: number;
  /** Consecutive failures before `giveUp`; unlimited by default, as a controller should keep trying. */
  maxFailures?: number;
}

/** The Accept headers of a metadata-only list and watch (meta.k8s.io/v1 PartialObjectMetadata). */
export const metadataOnlyAccept = {
  list: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  watch: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
} as const;

type Listener = (...args: never[]) => void;

/** Each watch asks for up to this much more than watchTimeoutSeconds, so watches renew apart. */
const TIMEOUT_JITTER = 0.1;

/**
 * The watchdog's default: past the longest timeout a watch asks the server for, and 30 s for
 * the server to end it. A watchdog within that time would open again, as if dead, a watch of
 * a type nobody changes, which the server was about to end on time.
 */
export const defaultWatchdogMs = (watchTimeoutSeconds: number): number =>
  Math.round(watchTimeoutSeconds * (1 + TIMEOUT_JITTER) * 1000) + 30_000;

/**
 * List (in pages), then watch from the list's resourceVersion, keeping an in-memory cache
 * keyed by namespace/name. Only 410 Gone (the server no longer has that resourceVersion)
 * re-lists: a watch the server ends, a failed one (after a jittered backoff) and a silent one
 * (the watchdog) are opened again from the last resourceVersion seen, so a steady state costs
 * no list at all. stop() closes the connection and every timer.
 */
export class Watcher<T extends ObjectWithMeta = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly listeners = new Map<keyof WatcherEvents<T>, Listener[]>();
  private readonly client: ResourceClient<KubeObject>;
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private resourceVersion: string | undefined;
  private failures = 0;
  private synced = false;
  private readonly options: Required<
    Omit<
      WatcherOptions<T>,
      | 'namespace'
      | 'labelSelector'
      | 'fieldSelector'
      | 'transform'
      | 'keep'
      | 'metadataOnly'
      | 'heldCopy'
    >
  > &
    WatcherOptions<T>;

  constructor(
    private readonly api: ApiServer,
    options: WatcherOptions<T>,
  ) {
    const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.options = {
      watchTimeoutSeconds,
      watchdogMs: defaultWatchdogMs(watchTimeoutSeconds),
      pageSize: 500,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      missingRetryMs: 30_000,
      maxFailures: Number.POSITIVE_INFINITY,
      ...options,
    };
    this.client = new ResourceClient<KubeObject>(api, options.resource);
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

  /** The namespace watched; undefined: all. */
  get namespace(): string | undefined {
    return this.options.namespace;
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

  /** What the watcher holds of a listed or watched object. */
  private admit(object: KubeObject): T {
    const kept = withoutManagedFields(object);
    return this.options.transform ? this.options.transform(kept) : (kept as unknown as T);
  }

  /**
   * Caches `received` (or drops it, when not kept) and reports it; returns what it cached, which
   * shares its unchanged parts with the version before.
   */
  private store(key: string, received: T): T {
    const previous = this.cache.get(key);
    const held = this.options.heldCopy?.(received);
    const basis =
      held && held.metadata?.resourceVersion === received.metadata?.resourceVersion
        ? held
        : previous;
    // A new version shares what did not change (structural-sharing.ts).
    const object = sharingWith(basis, received);
    if (this.options.keep?.(object) ?? true) this.cache.set(key, object);
    else this.cache.delete(key);
    if (!previous) this.emit('add', object);
    else if (previous.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
      this.emit('update', object, previous);
    }
    return object;
  }

  private async relist(reason: RelistReason): Promise<void> {
    const { namespace, labelSelector, fieldSelector, pageSize, metadataOnly } = this.options;
    const seen = new Set<string>();
    const listed: T[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const page = await this.client.list(
        namespace,
        { labelSelector, fieldSelector, limit: pageSize, continue: token },
        {
          signal: this.stopController.signal,
          ...(metadataOnly ? { accept: metadataOnlyAccept.list } : {}),
        },
      );
      if (this.stopped) return;
      for (const raw of page.items) {
        const item = this.admit(raw);
        const key = keyOf(item);
        seen.add(key);
        listed.push(this.store(key, item));
      }
      // Every page of one list is read at the same resourceVersion: the list's snapshot.
      resourceVersion = page.resourceVersion;
      token = page.continue;
    } while (token);
    for (const [key, previous] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('delete', previous);
      }
    }
    this.resourceVersion = resourceVersion;
    this.synced = true;
    this.emit('list', reason, listed);
  }

  /** One watch connection; resolves with 'gone' to re-list, or undefined to just reconnect. */
  private async watchOnce(): Promise<'gone' | undefined> {
    const { namespace, labelSelector, fieldSelector, watchTimeoutSeconds, metadataOnly } =
      this.options;
    const connection = new AbortController();
    // Derived, not listened to: a stop() that came before this watch (say, from a 'list'
    // listener) has already fired its 'abort', and would otherwise leave the watch open.
    const signal = AbortSignal.any([this.stopController.signal, connection.signal]);
    let idle = false;
    let lastSeen = Date.now();
    const watchdog = setInterval(
      () => {
        const silentMs = Date.now() - lastSeen;
        if (silentMs > this.options.watchdogMs) {
          idle = true;
          this.emit('idle', silentMs);
          connection.abort();
        }
      },
      Math.max(100, Math.min(this.options.watchdogMs / 4, 5_000)),
    );
    try {
      const response = await this.api.stream(resourcePath(this.options.resource, namespace), {
        ...(metadataOnly ? { accept: metadataOnlyAccept.watch } : {}),
        query: {
          watch: 'true',
          allowWatchBookmarks: 'true',
          resourceVersion: this.resourceVersion,
          timeoutSeconds: Math.max(
            1,
            Math.round(watchTimeoutSeconds * (1 + Math.random() * TIMEOUT_JITTER)),
          ),
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
      if (gone) return 'gone';
      if (idle) return undefined;
      // A server or proxy that ends every watch at once would otherwise be re-dialled in a
      // tight loop; treating it as a failure brings in the backoff.
      if (events === 0 && Date.now() - connectedAt < immediateCloseMs) {
        throw new Error(
          `watch ${describeType(this.options.resource)}: the server ended the watch at once without events (a loaded API server may drop a watch that falls behind; if it keeps happening, check proxies between fledge and the API server)`,
        );
      }
      return undefined;
    } catch (error) {
      if (idle || this.stopped) return undefined;
      throw error;
    } finally {
      clearInterval(watchdog);
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
          gone = this.apply(JSON.parse(line) as WatchEvent<KubeObject>);
        } catch (error) {
          fail(error);
        }
        if (gone) response.destroy();
      });
      response.on('close', () => (failure && !gone ? reject(failure) : resolve(gone)));
    });
  }

  private apply(event: WatchEvent<KubeObject>): boolean {
    if (event.type === 'ERROR') {
      const object = event.object;
      const status = object as unknown as { code?: number; message?: string };
      if (status.code === 410) return true;
      throw new Error(
        `watch ${describeType(this.options.resource)}: server error ${status.code}: ${status.message}`,
      );
    }
    const version = event.object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (event.type === 'BOOKMARK') return false;
    const object = this.admit(event.object);
    const key = keyOf(object);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', object);
    } else {
      this.store(key, object);
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
