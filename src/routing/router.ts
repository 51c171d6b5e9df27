import type { Traffic as MachineTraffic } from '../../machines/weights.js';
import type { OwnerReference } from '../kube/api-server.js';
import type { ResourceType } from '../kube/resources.js';
import type { RouteStrategy } from './strategy.js';

/** Where a rollout's traffic goes: the apex Service callers use, split between two backends. */
export interface RouteTarget {
  namespace: string;
  /** The routing object's name: the Rollout's name. */
  name: string;
  apexService: string;
  port: number;
  /** The primary Service in workload mode, the stable backend in backend mode. */
  stableService: string;
  canaryService: string;
  /** The Rollout, so that garbage collection removes the routing object with it. */
  owner?: OwnerReference;
  labels?: Record<string, string>;
  /** What the strategy adds while requests are pinned (Gateway API routes only). */
  strategy?: RouteStrategy;
}

/** What a route must hold: the machine's traffic, and the revision under release. */
export interface Traffic extends MachineTraffic {
  /** Names the affinity cookie of the release; at rest, the cookie to expire. */
  revision?: string;
  /**
   * A rollback's traffic, taken from a failing canary: written on the API client's urgent
   * lane, never waiting behind routine requests.
   */
  urgent?: boolean;
}

/** Percent of traffic per backend; they add up to 100 when the object is fledge's shape. */
export interface Weights {
  stable: number;
  canary: number;
}

export interface WeightsResult {
  /** What the server stored, from its answer to the write (or a read when none was needed). */
  weights: Weights;
  /**
   * True when someone other than fledge changed the routing object since fledge last
   * wrote it; fledge has put its own weights back. The controller reports it as an Event.
   */
  drifted: boolean;
  /** What fledge found on the server when it drifted; null when the object was gone or unreadable. */
  found?: Weights | null;
}

/** A routing object as it is on the server, read without a spec (for release on deletion). */
export interface ObservedRoute {
  target: RouteTarget;
  /** Null when the object is not in fledge's shape. */
  weights: Weights | null;
  /** The uids of the object's owners. */
  owners: string[];
}

/** One mesh's way of splitting traffic (Flagger's router interface). */
export interface Router {
  readonly provider: string;
  readonly apiVersion: string;
  /** The Kubernetes type of the routing object. */
  readonly type: ResourceType;
  /** Creates the routing object (100% stable) or adopts an existing one. */
  reconcile(target: RouteTarget): Promise<void>;
  /**
   * Sets the canary's share (0-100) and the strategy's pins, keeping what the user owns;
   * corrects drift, reads back; idempotent.
   */
  setTraffic(target: RouteTarget, traffic: Traffic): Promise<WeightsResult>;
  /** The object named `name` as it routes now, read back from it; null when absent or foreign. */
  observe(namespace: string, name: string): Promise<ObservedRoute | null>;
  /** The weights on the server; null when the object is missing or not in fledge's shape. */
  getWeights(target: RouteTarget): Promise<Weights | null>;
  /**
   * Routes 100% to stable, then removes the routing object, or keeps it (routing to the apex
   * Service, fledge's changes undone) when it holds rules, matches, filters or timeouts the
   * user wrote. `stableServes: false` skips the first step: callers sent to a stable side
   * without pods would find none, even for the moment before the object goes.
   */
  finalize(
    target: RouteTarget,
    options?: { stableServes?: boolean },
  ): Promise<'deleted' | 'kept' | 'absent'>;
}

export const weightsFor = (canaryWeight: number): Weights => ({
  stable: 100 - canaryWeight,
  canary: canaryWeight,
});

export const sameWeights = (a: Weights | null, b: Weights | null): boolean =>
  a !== null && b !== null && a.stable === b.stable && a.canary === b.canary;

/**
 * Percentages from raw backend weights (which meshes treat as relative); other backends,
 * if someone added one, count in the total so the result shows the canary's true share.
 */
export function percentages(stable: number, canary: number, total: number): Weights {
  if (total <= 0) return { stable: 0, canary: 0 };
  return {
    stable: Math.round((stable * 100) / total),
    canary: Math.round((canary * 100) / total),
  };
}

export function assertWeight(canaryWeight: number): void {
  if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
    throw new RangeError(`canary weight ${canaryWeight} is not an integer from 0 to 100`);
  }
}
