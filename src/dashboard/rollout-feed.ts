import type { RolloutObject } from '../cli/rollout-object.js';
import type { ApiServer } from '../kube/api-server.js';
import { knownTypes } from '../kube/resources.js';
import { Watcher } from '../kube/watcher.js';
import { clip } from './markers.js';
import { rowKey } from './rollout-row.js';

export type RolloutChange =
  | { type: 'upsert'; rollout: RolloutObject }
  | { type: 'delete'; key: string }
  /** The watch works again (null) or cannot (a message a person can act on). */
  | { type: 'problem'; message: string | null };

type Listener = (change: RolloutChange) => void;

/**
 * The Rollouts the dashboard shows, from one list+watch per namespace (or one for all)
 * shared by every page: a hundred open pages cost the API server one watch.
 */
export class RolloutFeed {
  private readonly watchers: Watcher<RolloutObject>[];
  private readonly listeners = new Set<Listener>();
  private readonly waiting = new Set<() => void>();
  private problem: string | null = null;

  /** `namespaces` empty: every namespace. */
  constructor(api: ApiServer, namespaces: readonly string[]) {
    const scopes = namespaces.length > 0 ? namespaces : [undefined];
    this.watchers = scopes.map((namespace) => this.watch(api, namespace));
  }

  start(): void {
    for (const watcher of this.watchers) watcher.start();
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    await Promise.all(this.watchers.map((w) => w.stop()));
  }

  get synced(): boolean {
    return this.watchers.every((w) => w.hasSynced);
  }

  /** Resolves once every watch has listed, so a first snapshot is complete. */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.waiting.add(resolve));
  }

  get currentProblem(): string | null {
    return this.problem;
  }

  rollouts(): RolloutObject[] {
    return this.watchers.flatMap((w) => w.list());
  }

  get(namespace: string, name: string): RolloutObject | undefined {
    for (const watcher of this.watchers) {
      const found = watcher.get(namespace, name);
      if (found) return found;
    }
    return undefined;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private watch(api: ApiServer, namespace: string | undefined): Watcher<RolloutObject> {
    const watcher = new Watcher<RolloutObject>(api, {
      resource: knownTypes.rollouts,
      namespace,
      watchTimeoutSeconds: 60,
      watchdogMs: 90_000,
      missingRetryMs: 10_000,
    });
    const upsert = (rollout: RolloutObject) => this.emit({ type: 'upsert', rollout });
    return watcher
      .on('add', upsert)
      .on('update', upsert)
      .on('delete', (rollout) =>
        this.emit({
          type: 'delete',
          key: rowKey(rollout.metadata?.namespace ?? '', rollout.metadata?.name ?? ''),
        }),
      )
      .on('list', () => {
        this.setProblem(null);
        if (!this.synced) return;
        for (const resolve of this.waiting) resolve();
        this.waiting.clear();
      })
      .on('connect', () => this.setProblem(null))
      .on('missing', () =>
        this.setProblem(
          'the API server does not serve rollouts.fledge.dev/v1alpha1: install the CRD (kubectl apply -f crds/rollout.yaml) or pick the right cluster',
        ),
      )
      .on('reconnect', (_attempt, delayMs, cause) =>
        this.setProblem(
          `cannot watch rollouts${namespace ? ` in ${namespace}` : ''} (${clip(cause?.message ?? 'closed', 300)}); retrying in ${Math.round(delayMs / 1000)} s`,
        ),
      );
  }

  private setProblem(message: string | null): void {
    if (message === this.problem) return;
    this.problem = message;
    this.emit({ type: 'problem', message });
  }

  private emit(change: RolloutChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
