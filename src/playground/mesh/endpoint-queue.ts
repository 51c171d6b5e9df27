import type { RouteDecision } from './mesh-state.js';

/** A decision that needs no more waiting. */
export type Settled = Exclude<RouteDecision, { kind: 'queue' }>;

/** How often a queued request looks for an endpoint again (the mesh's watches feed the view). */
const POLL_MS = 50;

/**
 * Holds a queued request until its backend lists a ready endpoint, as the Linkerd proxy's
 * balancer queue does, and answers 503 once the backend reaches its fail-fast time.
 */
export async function settle(decision: RouteDecision): Promise<Settled> {
  let current = decision;
  while (current.kind === 'queue') {
    const left = current.failFastAt - Date.now();
    if (left <= 0) {
      const { reason, destination } = current;
      return { kind: 'reject', status: 503, reason, destination };
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
    current = current.again();
  }
  return current;
}
