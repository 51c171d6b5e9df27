import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ApiServer, KubeObject } from '../kube/api-server.js';
import { LeaderElector, type LeaderTerm, leaseClock } from '../kube/leader.js';
import { LeaseMembership } from '../kube/lease-membership.js';
import {
  expiresAt,
  type LeaseSpec,
  leaseTimings,
  type Observation,
  observe,
} from '../kube/lease-record.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import { mayTakeShard, type ShardView, shardLeaseName, shardToRelease } from './shards.js';

export interface ShardLeasesOptions {
  api: ApiServer;
  namespace: string;
  /** The leader Lease's name; shard Leases are named after it (shardLeaseName). */
  name: string;
  shards: number;
  identity: string;
  leaseDurationMs: number;
  logger: Logger;
  onStartedLeading(shard: number, term: LeaderTerm): void;
  onStoppedLeading(shard: number, term: LeaderTerm): void;
  /** Before this replica lets a shard go: stop its work while the shard is still held. */
  handingOver(shard: number): Promise<void>;
}

/** On each member Lease: the shard count its replica runs with. */
export const shardsAnnotation = 'fledge.dev/shards';

/**
 * The shard Leases of one replica: a LeaderElector per shard. With one shard it is plain
 * leader election on the leader Lease, as without sharding. With several, each replica also
 * keeps a member Lease (LeaseMembership), so that replicas holding no shard are counted; a
 * replica takes free shards while it holds less than its fair share (ceil(shards/replicas)),
 * and lets go of one shard per retry period while it holds more (stops its work, then
 * releases the Lease, so the next holder need not wait for expiry). A killed replica's shards
 * are free once their Leases expire, and taken by the others then.
 *
 * Replicas running with different shard counts map some Rollouts to different shards, so two
 * of them could drive one Rollout: while a live member announces another count (or none, a
 * version before this rule), or the unsharded leader Lease is held (a replica without
 * `--shards`), this replica takes no shard and lets none go. Changing the count with a rolling
 * update therefore leaves the new replicas idle until the old ones are gone (their shards are
 * taken once their Leases are released or expire), and never lets two replicas drive one.
 * Going back to one shard is guarded the same way: a replica without `--shards` looks at the
 * member Leases while it does not lead, and does not take the leader Lease while a sharded
 * replica is alive.
 */
export class ShardLeases {
  private readonly electors: LeaderElector[] = [];
  private readonly membership: LeaseMembership | undefined;
  private readonly stopping = new AbortController();
  private readonly retryPeriodMs: number;
  private rebalancing: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  /** Whether every live replica runs with this shard count; false until first seen. */
  private countsAgree = false;
  private unsharded: Observation | undefined;
  private shardedSeen = false;
  /** Without sharding: the member Leases of sharded replicas, which keep this one from leading. */
  private readonly sharded: LeaseMembership | undefined;

  constructor(private readonly options: ShardLeasesOptions) {
    this.retryPeriodMs = leaseTimings({ leaseDurationMs: options.leaseDurationMs }).retryPeriodMs;
    const group = {
      namespace: options.namespace,
      group: options.name,
      identity: options.identity,
      leaseDurationMs: options.leaseDurationMs,
      logger: options.logger,
    };
    if (options.shards > 1) {
      this.membership = new LeaseMembership(options.api, {
        ...group,
        annotations: { [shardsAnnotation]: String(options.shards) },
      });
    } else {
      // Looked at only while not leading: a leader keeps sharded replicas out by itself.
      this.sharded = new LeaseMembership(options.api, {
        ...group,
        observeWhile: () => !this.electors[0]?.isLeader,
      });
    }
    for (let shard = 0; shard < options.shards; shard++) this.electors.push(this.elector(shard));
  }

  /** The Lease (namespace/name) of a shard. */
  lease(shard: number): string {
    return `${this.options.namespace}/${shardLeaseName(this.options.name, shard, this.options.shards)}`;
  }

  /** The shards held now, by the local clock. */
  held(): number[] {
    return this.electors.flatMap((elector, shard) => (elector.isLeader ? [shard] : []));
  }

  start(): void {
    this.membership?.start();
    if (this.membership) this.rebalancing = this.rebalance();
    if (!this.sharded) {
      for (const elector of this.electors) elector.start();
      return;
    }
    const sharded = this.sharded;
    sharded.start();
    // Competing before the first look would only be refused: wait for it, as briefly as a list.
    this.starting = sharded.started.then(() => {
      if (!this.stopping.signal.aborted) for (const elector of this.electors) elector.start();
    });
  }

  /** Ends every term (after the caller stopped the work under them) and hands every Lease back. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.rebalancing;
    await this.starting;
    await Promise.all(this.electors.map((elector) => elector.stop()));
    await this.membership?.stop();
    await this.sharded?.stop();
  }

  private view(): ShardView {
    return {
      held: this.held(),
      shards: this.options.shards,
      replicas: this.membership?.members().length ?? 1,
    };
  }

  private elector(shard: number): LeaderElector {
    const { options } = this;
    // Long enough for the replica the fair share picks to take it first; short next to a lease.
    const graceMs = 2 * this.retryPeriodMs;
    return new LeaderElector(options.api, {
      namespace: options.namespace,
      name: shardLeaseName(options.name, shard, options.shards),
      identity: options.identity,
      leaseDurationMs: options.leaseDurationMs,
      logger: this.membership ? options.logger.child({ shard }) : options.logger,
      onStartedLeading: (term) => options.onStartedLeading(shard, term),
      onStoppedLeading: (term) => options.onStoppedLeading(shard, term),
      mayAcquire: this.membership
        ? (freeForMs: number) => this.countsAgree && mayTakeShard(this.view(), freeForMs, graceMs)
        : () => this.noShardedReplica(),
    });
  }

  /**
   * Without sharding: whether a recent look (two retry periods, so one missed list does not
   * matter) found no live sharded replica, which would drive some Rollouts as this one would.
   */
  private noShardedReplica(): boolean {
    const sharded = this.sharded as LeaseMembership;
    if (!sharded.lookedWithin(2 * this.retryPeriodMs)) return false;
    const others = sharded.disagreeing(shardsAnnotation, '1');
    if (others.length > 0 && !this.shardedSeen) {
      this.options.logger.warn(
        { replicas: others },
        'replicas with --shards are alive: not leading until they are gone',
      );
    }
    this.shardedSeen = others.length > 0;
    return !this.shardedSeen;
  }

  /** Whether every live replica runs with this shard count (see the class comment). */
  private async checkCounts(): Promise<void> {
    const membership = this.membership as LeaseMembership;
    const others = membership.looked()
      ? membership.disagreeing(shardsAnnotation, String(this.options.shards))
      : undefined;
    const unsharded = await this.unshardedLeader().catch(() => 'unknown (could not read it)');
    const agree = others !== undefined && others.length === 0 && unsharded === undefined;
    if (agree !== this.countsAgree && others !== undefined) {
      if (agree) this.options.logger.info('every live replica runs with this shard count');
      else {
        this.options.logger.warn(
          { replicas: others, unshardedLeader: unsharded, shards: this.options.shards },
          'replicas with another shard count are alive: taking no shard until they are gone',
        );
      }
    }
    this.countsAgree = agree;
  }

  /** The holder of the leader Lease of replicas without `--shards`, while it holds it. */
  private async unshardedLeader(): Promise<string | undefined> {
    const leases = new ResourceClient<KubeObject & { spec?: LeaseSpec }>(
      this.options.api,
      knownTypes.leases,
    );
    const lease = await leases.find(this.options.namespace, this.options.name, {
      signal: this.stopping.signal,
      timeoutMs: this.retryPeriodMs,
    });
    if (!lease) return undefined;
    this.unsharded = observe(this.unsharded, lease.spec ?? {}, leaseClock());
    const holder = lease.spec?.holderIdentity;
    return holder && leaseClock() < expiresAt(this.unsharded) ? holder : undefined;
  }

  /** Every retry period: let go of one shard while this replica holds more than its share. */
  private async rebalance(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await sleep(this.retryPeriodMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      await this.checkCounts();
      // Shards let go now would stay free until the other count's replicas are gone.
      if (!this.countsAgree) continue;
      const view = this.view();
      const shard = shardToRelease(view);
      if (shard === undefined) continue;
      this.options.logger.info(
        { shard, lease: this.lease(shard), held: view.held.length, replicas: view.replicas },
        'releasing a shard above this replica’s fair share',
      );
      try {
        await this.options.handingOver(shard);
      } catch (error) {
        // The Lease is released all the same: its term fences whatever did not stop.
        this.options.logger.error({ err: error, shard }, 'stopping a shard’s work failed');
      }
      const elector = this.electors[shard] as LeaderElector;
      await elector.stop();
      if (signal.aborted) break;
      // A stopped elector stays stopped: a new one competes for the shard from now on.
      const next = this.elector(shard);
      this.electors[shard] = next;
      next.start();
    }
  }
}
