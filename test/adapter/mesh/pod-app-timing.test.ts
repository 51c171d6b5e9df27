import http from 'node:http';
import { setTimeout as realDelay } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type PodApp, startPodApp } from '../../../src/playground/kubelet/pod-app.js';
import { appTimingMs } from '../../../src/playground/server-timing.js';

// Under 127.9, like the proxy's adapter test, so this never meets a playground's pods; not
// 127.9.1.1, which routes.test.ts serves on the same port in another worker.
const ip = '127.9.2.1';
const port = 18081;

function get(): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http.get({ host: ip, port, path: '/', agent: false }, resolve).on('error', reject);
  });
}

describe("a simulated pod app's timing", () => {
  let app: PodApp | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await app?.close(0);
    app = undefined;
  });

  const start = async (latencyMs: number) => {
    app = await startPodApp({
      ip,
      port,
      namespace: 'prod',
      pod: 'api-5f6-a',
      container: 'app',
      image: 'api:1.0.0',
      behaviour: { errorRate: 0, latencyMs },
    });
  };

  it('answers a request without waiting for a timer when it has no latency', async () => {
    await start(0);
    // With timers frozen, an answer that waited for one would never come.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate'] });
    const answer = await Promise.race([get(), realDelay(10_000, 'no answer')]);
    expect(answer).not.toBe('no answer');
    const response = answer as http.IncomingMessage;
    response.resume();
    expect(response.statusCode).toBe(200);
    expect(appTimingMs(response.headers['server-timing'])).toBeDefined();
  });

  it('reports its latency in Server-Timing, not how late a busy machine let its timer fire', async () => {
    await start(40);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const response = get();
    while (vi.getTimerCount() === 0) await realDelay(5);
    // The latency timer is due; the process gets to it 300 ms late.
    await realDelay(300);
    vi.advanceTimersByTime(40);
    const answered = await response;
    answered.resume();
    const reported = appTimingMs(answered.headers['server-timing']);
    expect(reported).toBeGreaterThanOrEqual(40);
    expect(reported).toBeLessThan(100);
  });
});
