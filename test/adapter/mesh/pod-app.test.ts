import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PodApp, startPodApp } from '../../../src/playground/kubelet/pod-app.js';

const ip = '127.7.0.1';
const apps: PodApp[] = [];
let base: string;
let failing: string;

beforeAll(async () => {
  const common = { ip, namespace: 'test', container: 'podinfod', image: 'podinfo:6.0.1' };
  apps.push(
    await startPodApp({
      ...common,
      port: 19898,
      pod: 'ok',
      behaviour: { errorRate: 0, latencyMs: 0 },
    }),
    await startPodApp({
      ...common,
      port: 19899,
      pod: 'bad',
      behaviour: { errorRate: 1, latencyMs: 0 },
    }),
  );
  base = `http://${ip}:19898`;
  failing = `http://${ip}:19899`;
});

afterAll(async () => {
  for (const app of apps) await app.close(0);
});

describe('the playground pod app, over HTTP', () => {
  it('answers podinfo’s endpoints with podinfo’s status codes and JSON', async () => {
    const status = await fetch(`${base}/status/503`);
    expect(status.status).toBe(503);
    expect(status.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await status.json()).toEqual({ status: 503 });
    expect(await (await fetch(`${base}/version`)).json()).toEqual({
      commit: 'playground',
      version: '6.0.1',
    });
    const token = await fetch(`${base}/token`, { method: 'POST', body: 'test' });
    expect(await token.json()).toMatchObject({
      token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    expect(await (await fetch(`${base}/delay/1`)).json()).toEqual({ delay: 1 });
  });

  it('keeps the probes healthy while ERROR_RATE fails every other request', async () => {
    expect((await fetch(`${failing}/healthz`)).status).toBe(200);
    expect((await fetch(`${failing}/readyz`)).status).toBe(200);
    const failed = await fetch(`${failing}/`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ hostname: 'bad', status: 500 });
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const answer = await fetch(`${base}/token`, { method: 'POST', body: 'x'.repeat(70_000) });
    expect(answer.status).toBe(413);
  });
});
