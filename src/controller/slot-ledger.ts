import type { Logger } from 'pino';
import { type ApiServer, isConflict, type KubeObject } from '../kube/api-server.js';
import { knownTypes, ResourceClient } from '../kube/resources.js';
import {
  allocateSlots,
  type Grant,
  type QueueEntry,
  type ReleaseLimits,
  type Verdict,
  withRecentGrants,
} from './release-queue.js';

/**
 * On the ledger Lease: the recent grants, as `{"namespace/name": [granted, queued]}` (epoch
 * milliseconds: when the grant was made, and when its release entered the queue).
 */
export const grantsAnnotation = 'fledge.dev/release-grants';

/**
 * How long a grant counts without the status that records it. A status write waits seconds
 * at a busy API server, and a watch delivers it later still; a grant whose machine never took
 * it (its replica died first) holds its slot this long at most.
 */
export const GRANT_TTL_MS = 120_000;
/** About 150 KiB of annotation, under the API server's 256 KiB for all of an object's annotations. */
export const MAX_GRANTS = 2_000;
/** Conditional writes tried in one pass; past them, another replica is granting: the next pass. */
const ATTEMPTS = 3;
const KEY = /^[^/\s]{1,253}\/[^/\s]{1,253}$/;

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** The recent grants an annotation holds: expired and unreadable entries are left out. */
export function readGrants(
  text: string | undefined,
  now: number,
  ttlMs = GRANT_TTL_MS,
): Map<string, Grant> {
  const grants = new Map<string, Grant>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '{}');
  } catch {
    return grants;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return grants;
  for (const [key, value] of Object.entries(parsed)) {
    if (grants.size >= MAX_GRANTS) break;
    if (!KEY.test(key) || !Array.isArray(value) || value.length !== 2) continue;
    const [at, queuedAt] = value as unknown[];
    if (!isTime(at) || !(queuedAt === null || isTime(queuedAt))) continue;
    if (at > now - ttlMs) grants.set(key, { at, queuedAt });
  }
  return grants;
}

export interface LedgerPass {
  /** The verdicts to deliver: the grants written (or reserved before) and the waits. */
  verdicts: Verdict[];
  /** Another replica wrote the ledger each time: no grant was made, pass again soon. */
  contended: boolean;
}

export interface SlotLedgerOptions {
  api: ApiServer;
  namespace: string;
  name: string;
  log: Logger;
  ttlMs?: number;
  now?: () => number;
}

type LedgerLease = KubeObject;

/**
 * The release queue's grants, when several replicas grant slots (sharding): every grant is
 * written to one Lease with a resourceVersion precondition before its release starts, so two
 * replicas cannot both take the last slot. The loser's write conflicts; it reads the Lease
 * again, counts the winner's grant and decides again. A grant counts until its Rollout's status
 * records it (a Lease, not a second store: Kubernetes is the coordination engine).
 */
export class SlotLedger {
  private readonly client: ResourceClient<LedgerLease>;
  /** The Lease as last read or written; null: there is none; undefined: read it first. */
  private lease: LedgerLease | null | undefined;
  private passing: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SlotLedgerOptions) {
    this.client = new ResourceClient<LedgerLease>(options.api, knownTypes.leases);
  }

  /**
   * One pass of the queue over `entries` (read again at each attempt), its grants to the
   * releases this replica drives (`mine`) recorded before they are returned; a release of
   * another replica ahead in line holds the slot it would take, for its own replica to grant.
   * Passes run one at a time. Rejects when the API server cannot be reached: no grant is
   * made then.
   */
  pass(
    entries: () => QueueEntry[],
    limits: ReleaseLimits,
    mine: (key: string) => boolean,
  ): Promise<LedgerPass> {
    const next = this.passing.then(() => this.decide(entries, limits, mine));
    this.passing = next.catch(() => undefined);
    return next;
  }

  private async decide(
    entries: () => QueueEntry[],
    limits: ReleaseLimits,
    mine: (key: string) => boolean,
  ): Promise<LedgerPass> {
    let waits: Verdict[] = [];
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (this.lease === undefined) this.lease = await this.read();
      const now = (this.options.now ?? Date.now)();
      const grants = readGrants(
        this.lease?.metadata?.annotations?.[grantsAnnotation],
        now,
        this.options.ttlMs,
      );
      const seen = entries();
      const counted = withRecentGrants(seen, grants);
      const reserved: Verdict[] = counted.reserved.filter(mine).map((key) => ({
        key,
        granted: true,
        message: 'slot granted: a replica that drove this Rollout before reserved it',
      }));
      const verdicts = allocateSlots(counted.entries, limits);
      const room = MAX_GRANTS - grants.size;
      const granted = verdicts
        .filter((verdict) => verdict.granted && mine(verdict.key))
        .slice(0, Math.max(0, room));
      waits = verdicts.filter((verdict) => !verdict.granted && mine(verdict.key));
      if (granted.length === 0) return { verdicts: [...reserved, ...waits], contended: false };
      for (const { key } of granted) grants.set(key, { at: now, queuedAt: queuedAtOf(seen, key) });
      try {
        this.lease = await this.write(grants);
        return { verdicts: [...reserved, ...granted, ...waits], contended: false };
      } catch (error) {
        if (!isConflict(error)) throw error;
        this.lease = undefined;
      }
    }
    this.options.log.info(
      { lease: `${this.options.namespace}/${this.options.name}` },
      'another replica granted release slots at the same time: deciding again',
    );
    return { verdicts: waits, contended: true };
  }

  private read(): Promise<LedgerLease | null> {
    return this.client.find(this.options.namespace, this.options.name);
  }

  /** Replaces the grants, if the Lease is still as read (409 otherwise, AlreadyExists included). */
  private write(grants: Map<string, Grant>): Promise<LedgerLease> {
    const entries = [...grants].map(([key, grant]) => [key, [grant.at, grant.queuedAt]]);
    const annotations = { [grantsAnnotation]: JSON.stringify(Object.fromEntries(entries)) };
    const { namespace, name } = this.options;
    if (!this.lease) return this.client.create({ metadata: { namespace, name, annotations } });
    return this.client.mergePatch(namespace, name, {
      metadata: { resourceVersion: this.lease.metadata?.resourceVersion, annotations },
    });
  }
}

/** When the release of `key` entered the queue, as the pass saw it. */
function queuedAtOf(entries: readonly QueueEntry[], key: string): number | null {
  const slot = entries.find((entry) => entry.key === key)?.slot;
  return slot?.kind === 'waiting' ? slot.queuedAt : null;
}
