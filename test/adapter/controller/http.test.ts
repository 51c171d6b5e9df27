import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../../src/controller/http.js';
import { ControllerTelemetry } from '../../../src/controller/telemetry.js';

describe('controller HTTP endpoints', () => {
  const registry = new Registry();
  const telemetry = new ControllerTelemetry(registry);
  let ready = false;
  let server: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    server = await startHttpServer('127.0.0.1', 0, registry, {
      healthy: () => ({ ok: true, message: 'ok' }),
      ready: () => ({ ok: ready, message: ready ? 'ready' : 'caches not synced' }),
    });
  });
  afterAll(() => server.close());

  it('answers /healthz and tells readiness apart', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('caches not synced');
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('exposes per-rollout phase, weight, failed checks and metric values', async () => {
    telemetry.observe({
      namespace: 'prod',
      name: 'api',
      phase: 'Progressing',
      canaryWeight: 30,
      failedChecks: 1,
      lastAnalysis: [
        { metric: 'request-success-rate', value: 99.5 },
        { metric: 'request-duration', value: null },
      ],
    });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain(
      'fledge_rollout_phase{namespace="prod",name="api",phase="Progressing"} 1',
    );
    // One phase series a Rollout: the others are not sent as zeros.
    expect(text).not.toContain('phase="Failed"');
    expect(text).toContain('fledge_rollout_canary_weight{namespace="prod",name="api"} 30');
    expect(text).toContain('fledge_rollout_failed_checks{namespace="prod",name="api"} 1');
    expect(text).toContain(
      'fledge_rollout_metric_value{namespace="prod",name="api",metric="request-success-rate"} 99.5',
    );
    expect(text).not.toContain('metric="request-duration"');
  });

  it('answers 404 elsewhere', async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
