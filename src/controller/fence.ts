import type { WriterStamp } from '../api/types.js';
import { LinkedAbort } from '../kube/abort.js';
import {
  ApiServer,
  type ClusterAccess,
  type RequestObserver,
  type RequestOptions,
} from '../kube/api-server.js';
import { type LeaderTerm, NotLeadingError } from '../kube/leader-term.js';

/**
 * The right to write. While a replica leads, `stamp()` says who it is and in which term and
 * `signal` is live; once its term ends (or is about to), `stamp()` throws a NotLeadingError
 * and `signal` aborts, so writes not yet sent are refused and requests on the wire are cut.
 */
export interface Fence {
  stamp(): WriterStamp;
  readonly signal: AbortSignal;
}

/**
 * The controller's fence over its leadership: open from `begin` to `end`. With leader
 * election each span is a Lease term, checked by the elector's clock before every write with
 * a margin for the write itself; without, one span from start to stop.
 */
export class TermFence implements Fence {
  private span: {
    leader: LeaderTerm | undefined;
    stopped: AbortController;
    signal: LinkedAbort;
  } | null = null;
  private readonly closed: AbortSignal;

  constructor(
    readonly identity: string,
    /** A write starts only while the term runs for more than this yet (ms). */
    private readonly marginMs = 0,
    /** With --shards: the shard whose Lease this fence's terms belong to (see stampedBy). */
    private readonly shard?: number,
  ) {
    this.closed = AbortSignal.abort(this.refusal('it does not lead'));
  }

  get leading(): boolean {
    return this.span !== null && (this.span.leader?.active ?? true);
  }

  get signal(): AbortSignal {
    return this.span?.signal.signal ?? this.closed;
  }

  /** Opens the fence for a Lease term, or (without leader election) until `end`. */
  begin(leader: LeaderTerm | undefined): void {
    this.end();
    const stopped = new AbortController();
    this.span = { leader, stopped, signal: new LinkedAbort([leader?.signal, stopped.signal]) };
  }

  /** Refuses every write from now on and cuts the requests on the wire. */
  end(): void {
    if (!this.span) return;
    const { stopped, signal } = this.span;
    this.span = null;
    stopped.abort(this.refusal('the controller stopped leading'));
    signal.dispose();
  }

  /** Throws a NotLeadingError unless a term runs, however little of it is left. */
  requireTerm(): void {
    if (!this.span) throw this.refusal('it does not lead');
    this.span.leader?.require(0);
  }

  stamp(): WriterStamp {
    if (!this.span) throw this.refusal('it does not lead');
    const { leader } = this.span;
    if (!leader) return { identity: this.identity };
    leader.require(this.marginMs);
    return { identity: stampedBy(this.identity, this.shard), term: leader.number };
  }

  private refusal(why: string): NotLeadingError {
    return new NotLeadingError(this.span?.leader?.lease ?? '-', this.identity, undefined, why);
  }
}

/**
 * The writer's identity in a status stamp. A term number means something only within its
 * Lease, and a Rollout moves to another Lease when the shard count changes (from one, too), so
 * a shard's stamp names its shard after the replica: `<identity>@shard-<i>`. Without shards it
 * is the identity alone, as before shards.
 */
export function stampedBy(identity: string, shard: number | undefined): string {
  return shard === undefined ? identity : `${identity}@shard-${shard}`;
}

/** The Lease a stamp's term belongs to: `shard-<i>`, or '' for the leader Lease. */
function leaseOfStamp(stamp: WriterStamp): string {
  const at = stamp.identity.lastIndexOf('@');
  return at < 0 ? '' : stamp.identity.slice(at + 1);
}

/**
 * Whether a status written by `stored` must stop `mine`: a replica with a newer term of the
 * same Lease has written it, so this replica was deposed, whatever its own clock says. Terms
 * of two Leases say nothing about each other. Without leader election (no terms) nothing
 * fences: the operator promised a single replica.
 */
export function supersededBy(stored: WriterStamp | undefined, mine: WriterStamp): boolean {
  if (stored?.term === undefined || mine.term === undefined) return false;
  if (leaseOfStamp(stored) !== leaseOfStamp(mine)) return false;
  return stored.term > mine.term;
}

/**
 * The controller's API client: every request carries the fence's signal, and no write leaves
 * without the fence's consent. Watches and the Lease use plain ApiServers: followers watch too.
 */
export class FencedApiServer extends ApiServer {
  constructor(
    kc: ClusterAccess,
    userAgent: string,
    private readonly fence: Fence,
    observer?: RequestObserver,
  ) {
    super(kc, userAgent, observer);
  }

  override async request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    if (method !== 'GET') this.fence.stamp();
    const call = new LinkedAbort([options.signal, this.fence.signal]);
    try {
      return await super.request<T>(method, path, { ...options, signal: call.signal });
    } finally {
      call.dispose();
    }
  }
}
