import { describe, expect, it } from 'vitest';
import {
  autocannonOptions,
  CLIENT_ID,
  type LoadPlan,
  reconnectDelayMs,
} from '../../../src/loadtester/engine.js';

const plan: LoadPlan = {
  url: new URL('http://api.production:8080/orders?x=1'),
  method: 'POST',
  headers: { 'x-canary': '1' },
  body: '{}',
  rps: 200,
  connections: 10,
  durationMs: 3_000,
  proxy: undefined,
};

describe('autocannonOptions', () => {
  it('targets the service directly with an origin-form path when there is no proxy', () => {
    const options = autocannonOptions(plan);
    expect(options).toMatchObject({
      url: 'http://api.production:8080',
      overallRate: 200,
      connections: 10,
      duration: 3,
      ignoreCoordinatedOmission: true,
    });
    expect(options.requests).toEqual([
      {
        method: 'POST',
        path: '/orders?x=1',
        headers: { 'l5d-client': CLIENT_ID, 'x-canary': '1' },
        body: '{}',
      },
    ]);
  });

  it('sends absolute-form requests with the target Host to the proxy', () => {
    const options = autocannonOptions({ ...plan, proxy: new URL('http://127.0.0.1:3128') });
    expect(options.url).toBe('http://127.0.0.1:3128');
    expect(options.requests?.[0]).toMatchObject({
      path: 'http://api.production:8080/orders?x=1',
      headers: { host: 'api.production:8080' },
    });
  });

  it('lets the webhook name its own l5d-client', () => {
    const options = autocannonOptions({ ...plan, headers: { 'l5d-client': 'ns/other' } });
    expect(options.requests?.[0]?.headers).toEqual({ 'l5d-client': 'ns/other' });
  });

  it('sends as fast as it can without a rate, as benchmarks do', () => {
    const options = autocannonOptions({ ...plan, rps: undefined });
    expect(options.overallRate).toBeUndefined();
    expect(options.ignoreCoordinatedOmission).toBe(false);
  });
});

describe('reconnectDelayMs', () => {
  it("waits one slot of a connection's share of the rate after a refused connection", () => {
    expect(reconnectDelayMs({ rps: 200, connections: 10 })).toBe(50);
    expect(reconnectDelayMs({ rps: 5, connections: 10 })).toBe(1_000);
    expect(reconnectDelayMs({ rps: 1, connections: 1 })).toBe(1_000);
    expect(reconnectDelayMs({ rps: undefined, connections: 50 })).toBe(100);
  });
});
