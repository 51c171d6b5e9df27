import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type KubeHttp, KubeHttpError } from './kube-http.js';

/** A resource type to list and watch across all namespaces; group '' is the core group. */
export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
}

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface WatchHandlers<T> {
  onChange?(object: T): void;
  onDelete?(object: T): void;
}

export interface ResourceWatchOptions {
  /** Asks the server to end each watch after this long; the loop then watches again. */
  timeoutSeconds?: number;
  /** Re-lists when nothing (not even the server's close) arrived for this long. */
  idleMs?: number;
  /** First retry delay after an error; doubles up to 30 s. */
  retryMs?: number;
  /** How often to look again for a resource type the server does not serve (CRD absent). */
  missingRetryMs?: number;
}

export interface ResourceWatch<T> {
  /** The latest objects by `namespace/name`. */
  readonly store: ReadonlyMap<string, T>;
  /** Resolves after the first list, or after the server said the type does not exist. */
  readonly synced: Promise<void>;
  stop(): void;
}

export function resourcePath(kind: ResourceKind): string {
  return kind.group === ''
    ? `/api/${kind.version}/${kind.plural}`
    : `/apis/${kind.group}/${kind.version}/${kind.plural}`;
}

export function objectKey(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string };
}

/**
 * List, then watch from the list's resourceVersion, for one resource type. Unlike
 * client-node 1.4's informer it never gives up: a 410 or an ERROR event re-lists, other
 * failures retry with jittered backoff, an idle watch is dropped by a watchdog, and a type
 * the server does not serve (404) is looked for again later.
 */
export function watchResource<T extends KubeObject>(
  http: KubeHttp,
  kind: ResourceKind,
  handlers: WatchHandlers<T>,
  logger: Logger,
  options: ResourceWatchOptions = {},
): ResourceWatch<T> {
  const timeoutSeconds = options.timeoutSeconds ?? 60;
  const idleMs = options.idleMs ?? (timeoutSeconds + 15) * 1000;
  const retryMs = options.retryMs ?? 1000;
  const missingRetryMs = options.missingRetryMs ?? 5000;
  const path = resourcePath(kind);
  const log = logger.child({ resource: path });
  const store = new Map<string, T>();
  const stopping = new AbortController();
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });

  function deliver(fn: ((object: T) => void) | undefined, object: T) {
    try {
      fn?.(object);
    } catch (err) {
      log.error({ err, object: objectKey(object) }, 'watch handler failed');
    }
  }

  function replaceAll(items: T[]) {
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      store.set(key, item);
      deliver(handlers.onChange, item);
    }
    for (const [key, old] of store) {
      if (!seen.has(key)) {
        store.delete(key);
        deliver(handlers.onDelete, old);
      }
    }
  }

  /** One watch request; resolves with the last resourceVersion and whether to re-list. */
  async function watchOnce(fromVersion: string): Promise<{ version: string; relist: boolean }> {
    let version = fromVersion;
    let relist = false;
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stopping.signal.addEventListener('abort', onStop);
    let idle = setTimeout(() => {}, 0);
    const armWatchdog = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        log.warn({ idleMs }, 'watch idle too long, listing again');
        relist = true;
        abort.abort();
      }, idleMs);
    };
    armWatchdog();
    const query = {
      watch: '1',
      resourceVersion: version,
      timeoutSeconds: String(timeoutSeconds),
      allowWatchBookmarks: 'true',
    };
    try {
      await http.streamLines(
        path,
        query,
        (line) => {
          armWatchdog();
          if (relist) return;
          const event = JSON.parse(line) as WatchEvent;
          if (event.type === 'ERROR') {
            log.info({ code: event.object.code, reason: event.object.message }, 'watch expired');
            relist = true;
            abort.abort();
            return;
          }
          version = event.object.metadata?.resourceVersion ?? version;
          if (event.type === 'BOOKMARK') return;
          const object = event.object as T;
          if (event.type === 'DELETED') {
            store.delete(objectKey(object));
            deliver(handlers.onDelete, object);
          } else {
            store.set(objectKey(object), object);
            deliver(handlers.onChange, object);
          }
        },
        abort.signal,
      );
    } catch (err) {
      if (err instanceof KubeHttpError && err.statusCode === 410) return { version, relist: true };
      throw err;
    } finally {
      clearTimeout(idle);
      stopping.signal.removeEventListener('abort', onStop);
    }
    return { version, relist };
  }

  async function run() {
    let delay = retryMs;
    let reportedMissing = false;
    while (!stopping.signal.aborted) {
      try {
        const list = (await http.getJson(path)) as {
          items?: T[];
          metadata?: { resourceVersion?: string };
        };
        replaceAll(list.items ?? []);
        markSynced();
        reportedMissing = false;
        delay = retryMs;
        let version = list.metadata?.resourceVersion ?? '';
        while (!stopping.signal.aborted) {
          const result = await watchOnce(version);
          version = result.version;
          if (result.relist) break;
        }
      } catch (err) {
        if (stopping.signal.aborted) return;
        if (err instanceof KubeHttpError && err.statusCode === 404) {
          if (!reportedMissing)
            log.info('resource type not served (CRD not installed?); will look again');
          reportedMissing = true;
          markSynced();
          await pause(missingRetryMs);
        } else {
          log.warn({ err, retryInMs: delay }, 'list/watch failed, retrying');
          await pause(delay * (0.5 + Math.random()));
          delay = Math.min(delay * 2, 30_000);
        }
      }
    }
  }

  async function pause(ms: number) {
    try {
      await sleep(ms, undefined, { signal: stopping.signal });
    } catch {}
  }

  void run();
  return {
    store,
    synced,
    stop() {
      stopping.abort();
      markSynced();
    },
  };
}
