import type { ApiServer, KubeObject } from '../kube/api-server.js';
import type { ResourceType } from '../kube/resources.js';
import { Watcher, type WatcherEvents, type WatcherOptions } from '../kube/watcher.js';

/** Read access to a watch cache. */
export interface Cache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(): T[];
}

/**
 * One resource type watched in all namespaces, or in each of a list: the controller's
 * `--namespace` flag narrows what it reads (and what RBAC it needs) without changing the code
 * that reads it.
 */
export class WatchSet<T extends KubeObject> implements Cache<T> {
  readonly watchers: Watcher<T>[];

  constructor(
    api: ApiServer,
    resource: ResourceType,
    namespaces: string[] | undefined,
    options: Omit<WatcherOptions<T>, 'resource' | 'namespace'> = {},
  ) {
    const scopes = namespaces && namespaces.length > 0 ? namespaces : [undefined];
    this.watchers = scopes.map(
      (namespace) =>
        new Watcher<T>(api, { ...options, resource, ...(namespace ? { namespace } : {}) }),
    );
  }

  on<E extends keyof WatcherEvents<T>>(event: E, listener: WatcherEvents<T>[E]): this {
    for (const watcher of this.watchers) watcher.on(event, listener);
    return this;
  }

  start(): void {
    for (const watcher of this.watchers) watcher.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.map((watcher) => watcher.stop()));
  }

  get hasSynced(): boolean {
    return this.watchers.every((watcher) => watcher.hasSynced);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    for (const watcher of this.watchers) {
      const found = watcher.get(namespace, name);
      if (found) return found;
    }
    return undefined;
  }

  list(): T[] {
    return this.watchers.flatMap((watcher) => watcher.list());
  }
}
