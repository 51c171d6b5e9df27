import type { Logger } from 'pino';
import type { ClusterAccess, RequestObserver } from '../kube/api-server.js';
import { EventRecorder } from '../kube/events.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import { FencedApiServer, TermFence } from './fence.js';
import type { StoredRollout } from './status-writer.js';

/**
 * What the Rollouts of one shard are written through: the fence over the shard Lease's terms
 * and the API clients it guards, so a write of a Rollout is refused the moment this replica's
 * term of that Rollout's shard ends, whatever the other shards do.
 */
export class ShardSlot {
  readonly fence: TermFence;
  readonly api: FencedApiServer;
  readonly rollouts: ResourceClient<StoredRollout>;
  readonly events: EventRecorder;
  /**
   * Set while the shard is being handed over: its Rollouts take no new work, and their runners
   * stop with the term still running, so their last writes are fenced by it.
   */
  draining = false;
  /** The reconciles of this shard's Rollouts under way: a hand-over waits for them. */
  private readonly reconciling = new Set<Promise<unknown>>();

  constructor(
    readonly shard: number,
    options: {
      kc: ClusterAccess;
      userAgent: string;
      identity: string;
      marginMs: number;
      /** False with one shard: the stamps stay as without sharding. */
      sharded: boolean;
      observer: RequestObserver;
      log: Logger;
    },
  ) {
    const { kc, userAgent, identity, marginMs, sharded, observer, log } = options;
    this.fence = new TermFence(identity, marginMs, sharded ? shard : undefined);
    this.api = new FencedApiServer(kc, userAgent, this.fence, observer);
    this.rollouts = new ResourceClient(this.api, knownTypes.rollouts);
    this.events = new EventRecorder(this.api, { component: 'fledge', logger: log });
  }

  /** Runs one reconcile of a Rollout of this shard, known to the hand-over until it ends. */
  track<T>(reconcile: Promise<T>): Promise<T> {
    const tracked = reconcile.finally(() => this.reconciling.delete(tracked));
    this.reconciling.add(tracked);
    return tracked;
  }

  /** Resolves once the reconciles under way now have ended, however they ended. */
  async reconciled(): Promise<void> {
    await Promise.allSettled([...this.reconciling]);
  }

  /** Takes work: the term runs and no hand-over is under way. */
  get driving(): boolean {
    return this.fence.leading && !this.draining;
  }
}
