import { describe, expect, it, vi } from 'vitest';
import { settle } from '../../../src/playground/mesh/endpoint-queue.js';
import type { RouteDecision } from '../../../src/playground/mesh/mesh-state.js';

const destination = { service: 'api-canary', namespace: 'prod', authority: 'api.prod:8080' };
const reason = 'Service prod/api-canary has no ready endpoints for port 8080';
const forward: RouteDecision = {
  kind: 'forward',
  endpoint: { ip: '127.1.0.3', port: 9000 },
  destination,
  requestHeaders: [],
  responseHeaders: [],
};

describe('settle', () => {
  it('asks again until the backend has an endpoint', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      let asked = 0;
      const again = (): RouteDecision =>
        ++asked < 3 ? { kind: 'queue', reason, destination, failFastAt: 3000, again } : forward;
      const settled = settle({ kind: 'queue', reason, destination, failFastAt: 3000, again });
      await vi.advanceTimersByTimeAsync(200);
      await expect(settled).resolves.toBe(forward);
      expect(asked).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers 503 at the fail-fast time without asking past it', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      let asked = 0;
      const again = (): RouteDecision => {
        asked += 1;
        return { kind: 'queue', reason, destination, failFastAt: 120, again };
      };
      const settled = settle({ kind: 'queue', reason, destination, failFastAt: 120, again });
      await vi.advanceTimersByTimeAsync(500);
      await expect(settled).resolves.toEqual({ kind: 'reject', status: 503, reason, destination });
      // Polled at 50 and 100 ms, then once more at 120 ms, when the wait ran out.
      expect(asked).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes a decision that needs no wait through as it is', async () => {
    await expect(settle(forward)).resolves.toBe(forward);
  });
});
