/**
 * How Rollouts are spread over controller replicas: each Rollout belongs to one shard, by a
 * stable hash of its namespace/name; each shard is one coordination.k8s.io Lease; a replica
 * drives the Rollouts of the shards whose Leases it holds, and tries to hold its fair share.
 * Pure: the Leases are in shard-leases.ts.
 */

/** Most shards a controller accepts: each is a Lease, an elector and a fence. */
export const maxShards = 64;

/** FNV-1a (32 bits) of the key's UTF-8 bytes: the same on every replica, version and platform. */
export function stableHash(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The shard (0 to shards-1) of a Rollout, by its `namespace/name` key. */
export function shardOf(key: string, shards: number): number {
  return shards <= 1 ? 0 : stableHash(key) % shards;
}

/**
 * The Lease of a shard. One shard keeps the leader Lease's own name, so a controller without
 * --shards is the leader-elected controller it always was.
 */
export function shardLeaseName(base: string, shard: number, shards: number): string {
  return shards <= 1 ? base : `${base}-shard-${shard}`;
}

/** How many shards each replica tries to hold: ceil(shards / live replicas), so none is left over. */
export function fairShare(shards: number, replicas: number): number {
  return Math.ceil(shards / Math.max(1, replicas));
}

export interface ShardView {
  /** The shards this replica holds now. */
  held: readonly number[];
  shards: number;
  /** Live replicas seen, this one included. */
  replicas: number;
}

/**
 * Whether this replica may take a free shard (its Lease expired, released or never made):
 * while it holds less than its fair share; or, whatever it holds, once the shard has stayed
 * free for `graceMs`, so that replicas whose views of who is alive disagree never leave a
 * shard orphaned.
 */
export function mayTakeShard(view: ShardView, freeForMs: number, graceMs: number): boolean {
  return view.held.length < fairShare(view.shards, view.replicas) || freeForMs >= graceMs;
}

/**
 * The shard this replica should let go of now, if it holds more than its fair share (a
 * replica joined): the highest-numbered one, one at a time, so that load moves gradually and
 * every replica that releases picks the same kind of shard.
 */
export function shardToRelease(view: ShardView): number | undefined {
  if (view.held.length <= fairShare(view.shards, view.replicas)) return undefined;
  return Math.max(...view.held);
}
