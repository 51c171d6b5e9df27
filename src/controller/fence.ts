import type { KubeConfig } from '@kubernetes/client-node';
import type { WriterStamp } from '../api/types.js';
import { ApiServer, type RequestOptions } from '../kube/api-server.js';

/** Refused: this replica does not lead (any more), so it must not write. */
export class NotLeadingError extends Error {
  override name = 'NotLeadingError';
}

/**
 * The right to write. While a replica leads, `stamp()` says who it is and in which term and
 * `signal` is live; the moment its term ends, `stamp()` throws and `signal` aborts, so
 * writes not yet sent are refused and requests on the wire are cut.
 */
export interface Fence {
  stamp(): WriterStamp;
  readonly signal: AbortSignal;
}

/**
 * A fence over this replica's leadership terms: open from `begin` to `end`. Without leader
 * election the controller begins one term without a number at start and ends it at stop.
 */
export class TermFence implements Fence {
  private term: { number: number | undefined; ended: AbortController } | null = null;
  private readonly closed = AbortSignal.abort(new NotLeadingError('not leading'));

  constructor(readonly identity: string) {}

  get leading(): boolean {
    return this.term !== null;
  }

  get signal(): AbortSignal {
    return this.term?.ended.signal ?? this.closed;
  }

  begin(term: number | undefined): void {
    this.end();
    this.term = { number: term, ended: new AbortController() };
  }

  /** Refuses every write from now on and cuts the requests on the wire. */
  end(): void {
    this.term?.ended.abort(new NotLeadingError('the leader term ended'));
    this.term = null;
  }

  stamp(): WriterStamp {
    if (!this.term) throw new NotLeadingError(`${this.identity} does not lead: it must not write`);
    const { number } = this.term;
    return number === undefined
      ? { identity: this.identity }
      : { identity: this.identity, term: number };
  }
}

/**
 * Whether a status written by `stored` must stop `mine`: a replica with a newer term has
 * written it, so this replica was deposed, whatever its own clock says. Without leader
 * election (no terms) nothing fences: the operator promised a single replica.
 */
export function supersededBy(stored: WriterStamp | undefined, mine: WriterStamp): boolean {
  if (stored?.term === undefined || mine.term === undefined) return false;
  return stored.term > mine.term;
}

/**
 * The controller's API client: every request carries the fence's signal, and no write leaves
 * without the fence's consent. Watches and the Lease use plain ApiServers: followers watch too.
 */
export class FencedApiServer extends ApiServer {
  constructor(
    kc: KubeConfig,
    userAgent: string,
    private readonly fence: Fence,
  ) {
    super(kc, userAgent);
  }

  override request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    if (method !== 'GET') this.fence.stamp();
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.fence.signal])
      : this.fence.signal;
    return super.request<T>(method, path, { ...options, signal });
  }
}
