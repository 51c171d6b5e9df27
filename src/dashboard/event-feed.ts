import { API_VERSION, KIND } from '../api/types.js';
import type { ApiServer, KubeObject } from '../kube/api-server.js';
import { knownTypes } from '../kube/resources.js';
import { Watcher } from '../kube/watcher.js';
import { type EventRecord, eventRecordOf } from './markers.js';

interface Watched {
  watcher: Watcher<KubeObject>;
  listeners: Set<() => void>;
}

/** More distinct rollouts with an open timeline than this are refused. */
export class TooManyTimelines extends Error {
  override readonly name = 'TooManyTimelines';
}

/**
 * The Events about one Rollout, from a list+watch opened while at least one page shows its
 * timeline and closed with the last one; at most `maxWatches` rollouts at once.
 */
export class EventFeeds {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly api: ApiServer,
    private readonly maxWatches: number,
  ) {}

  /** Calls `changed` on every change of the rollout's Events; the returned function unsubscribes. */
  subscribe(namespace: string, name: string, changed: () => void): () => void {
    const key = `${namespace}/${name}`;
    let entry = this.watched.get(key);
    if (!entry) {
      if (this.watched.size >= this.maxWatches) {
        throw new TooManyTimelines(
          `${this.maxWatches} rollouts already have a timeline open on this dashboard; close one and try again`,
        );
      }
      entry = { watcher: this.open(namespace, name), listeners: new Set() };
      this.watched.set(key, entry);
    }
    const watched = entry;
    watched.listeners.add(changed);
    return () => {
      watched.listeners.delete(changed);
      if (watched.listeners.size > 0 || this.watched.get(key) !== watched) return;
      this.watched.delete(key);
      void watched.watcher.stop();
    };
  }

  /** The Events of the rollout with this uid: a rollout deleted and made again starts afresh. */
  records(namespace: string, name: string, uid: string | undefined): EventRecord[] {
    const watcher = this.watched.get(`${namespace}/${name}`)?.watcher;
    if (!watcher) return [];
    const records: EventRecord[] = [];
    for (const event of watcher.list()) {
      const involved = event.involvedObject as { uid?: string } | undefined;
      if (uid && involved?.uid && involved.uid !== uid) continue;
      const record = eventRecordOf(event);
      if (record) records.push(record);
    }
    return records;
  }

  async stop(): Promise<void> {
    const all = [...this.watched.values()];
    this.watched.clear();
    await Promise.all(all.map((w) => w.watcher.stop()));
  }

  private open(namespace: string, name: string): Watcher<KubeObject> {
    const watcher = new Watcher<KubeObject>(this.api, {
      resource: knownTypes.events,
      namespace,
      fieldSelector: `involvedObject.apiVersion=${API_VERSION},involvedObject.kind=${KIND},involvedObject.name=${name}`,
      watchTimeoutSeconds: 60,
      watchdogMs: 90_000,
    });
    const changed = () => {
      for (const listener of this.watched.get(`${namespace}/${name}`)?.listeners ?? []) listener();
    };
    watcher.on('add', changed).on('update', changed).on('delete', changed).on('list', changed);
    watcher.start();
    return watcher;
  }
}
