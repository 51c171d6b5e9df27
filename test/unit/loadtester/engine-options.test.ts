import { EventEmitter } from 'node:events';
import type autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';
import {
  autocannonOptions,
  CLIENT_ID,
  type LoadPlan,
  reconnectDelayMs,
} from '../../../src/loadtester/engine.js';
import { directDestination, proxiedDestination } from '../../../src/loadtester/target.js';

const url = new URL('http://api.production:8080/orders?x=1#frag');
const plan: LoadPlan = {
  destination: directDestination(url, '10.96.0.7'),
  method: 'POST',
  headers: { 'x-canary': '1' },
  body: '{}',
  rps: 200,
  connections: 10,
  durationMs: 3_000,
};

describe('autocannonOptions', () => {
  it('connects to the checked address with an origin-form path and the Host of the URL', () => {
    const options = autocannonOptions(plan);
    expect(options).toMatchObject({
      url: 'http://10.96.0.7:8080',
      servername: 'api.production',
      overallRate: 200,
      connections: 10,
      duration: 3,
      ignoreCoordinatedOmission: true,
    });
    expect(options.requests).toEqual([
      {
        method: 'POST',
        path: '/orders?x=1',
        headers: { 'l5d-client': CLIENT_ID, 'x-canary': '1', host: 'api.production:8080' },
        body: '{}',
      },
    ]);
  });

  it('sends absolute-form requests without the fragment to the proxy', () => {
    const proxied = proxiedDestination(
      url,
      { kind: 'service', name: 'api.production.svc.cluster.local' },
      new URL('http://127.0.0.1:3128'),
    );
    const options = autocannonOptions({ ...plan, destination: proxied });
    expect(options.url).toBe('http://127.0.0.1:3128');
    expect(options.requests?.[0]).toMatchObject({
      path: 'http://api.production.svc.cluster.local:8080/orders?x=1',
      headers: { host: 'api.production.svc.cluster.local:8080' },
    });
  });

  it('lets the webhook name its own l5d-client', () => {
    const options = autocannonOptions({ ...plan, headers: { 'l5d-client': 'ns/other' } });
    expect(options.requests?.[0]?.headers).toEqual({
      'l5d-client': 'ns/other',
      host: 'api.production:8080',
    });
  });

  it('sends as fast as it can without a rate, as benchmarks do', () => {
    const options = autocannonOptions({ ...plan, rps: undefined });
    expect(options.overallRate).toBeUndefined();
    expect(options.ignoreCoordinatedOmission).toBe(false);
  });

  it('keeps latencies in small ordinary histograms, not WebAssembly memory', () => {
    const options = autocannonOptions(plan) as unknown as { histograms: Record<string, object> };
    for (const histogram of Object.values(options.histograms)) {
      expect(histogram.constructor.name).toBe('Int32Histogram');
    }
  });

  it("drops answer bodies instead of collecting them in each connection's queue", () => {
    const queue = {
      body: '',
      addBody(data: string) {
        this.body += data;
      },
    };
    const client = Object.assign(new EventEmitter(), {
      pipelinedRequests: queue,
      _connect: () => {},
      destroyed: false,
    });
    autocannonOptions(plan).setupClient?.(client as unknown as autocannon.Client);
    client.pipelinedRequests.addBody('x'.repeat(1024));
    expect(queue.body).toBe('');
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
