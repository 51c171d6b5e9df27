import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { viaProxy } from '../support/via-proxy.js';
import { waitFor } from '../support/wait.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import { podinfoDeployment } from './support/podinfo.js';
import { promQuery } from './support/prometheus.js';
import { createNamespace, waitInitialized } from './support/rollout.js';
import { startTraffic, type Traffic } from './support/traffic.js';

/**
 * Flagger's tutorials run podinfo and call its endpoints: the playground's pods must answer
 * them as podinfo does, through the mesh, and the mesh must count them as Linkerd would.
 */

const namespace = `podinfo-${Date.now().toString(36)}`;
const proxy = () => inject('FLEDGE_MESH_PROXY');
const url = (path: string) => `http://podinfo.${namespace}:9898${path}`;
let traffic: Traffic | undefined;
let controller: ControllerProcess | undefined;

/** podinfo's Deployment and Service as Flagger's Linkerd tutorial installs them (kustomize/). */
const podinfo = stringify(podinfoDeployment(namespace));

const service = stringify({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'podinfo', namespace },
  spec: {
    selector: { app: 'podinfo' },
    ports: [{ name: 'http', port: 9898, targetPort: 'http' }],
  },
});

beforeAll(async () => {
  await createNamespace(namespace);
  await kubectlApply(`${podinfo}---\n${service}`);
  await waitFor('podinfo to answer through the mesh', async () =>
    (await viaProxy(proxy(), url('/healthz'))).status === 200 ? true : undefined,
  );
});

afterAll(async () => {
  await traffic?.stop();
  await controller?.kill();
  await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => '');
});

describe('podinfo on the playground', () => {
  it('answers /version, /healthz, /readyz and / with podinfo’s JSON', async () => {
    const version = await viaProxy(proxy(), url('/version'));
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body)).toEqual({ commit: 'playground', version: '6.0.0' });
    for (const probe of ['/healthz', '/readyz']) {
      expect(JSON.parse((await viaProxy(proxy(), url(probe))).body)).toEqual({ status: 'OK' });
    }
    const root = JSON.parse((await viaProxy(proxy(), url('/'))).body);
    expect(root).toMatchObject({ version: '6.0.0', message: 'greetings from podinfo v6.0.0' });
    expect(root.hostname).toMatch(/^podinfo-/);
  });

  it('answers /status/{code} with that code and /delay/{seconds} after that long', async () => {
    const failed = await viaProxy(proxy(), url('/status/500'));
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ status: 500 });
    const delayed = await viaProxy(proxy(), url('/delay/1'));
    expect(JSON.parse(delayed.body)).toEqual({ delay: 1 });
    expect(delayed.ms).toBeGreaterThanOrEqual(1000);
  });

  it('issues a token on POST /token, as the tutorial’s acceptance test expects', async () => {
    const answer = await viaProxy(proxy(), url('/token'), { method: 'POST', body: 'test' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expires_at: expect.any(String),
    });
  });

  it('counts a /status/500 load as Linkerd does: failures at the pod, by status code', async () => {
    traffic = startTraffic([url('/status/500'), url('/version')], 10, 60_000);
    const series = (classification: string, code: string) =>
      `sum(response_total{namespace="${namespace}",deployment="podinfo",direction="inbound",classification="${classification}",status_code="${code}"})`;
    const failures = await waitFor(
      'failures counted in Prometheus',
      async () => {
        const value = await promQuery(series('failure', '500'));
        return value !== undefined && value >= 20 ? value : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(failures).toBeGreaterThanOrEqual(20);
    expect(await promQuery(series('success', '200'))).toBeGreaterThan(0);
    expect(await promQuery(series('success', '500'))).toBeUndefined();
    const successRate = await promQuery(
      `100 * sum(rate(response_total{namespace="${namespace}",deployment="podinfo",direction="inbound",classification!="failure"}[30s])) / sum(rate(response_total{namespace="${namespace}",deployment="podinfo",direction="inbound"}[30s]))`,
    );
    expect(successRate).toBeGreaterThan(30);
    expect(successRate).toBeLessThan(70);
  });

  it('is served through the Services fledge writes: named targetPort, portName, portDiscovery and labels', async () => {
    // Given a controller, and a second podinfo under a Rollout whose Services reach it by name
    controller = startController({ namespaces: [namespace] });
    await controller.url();
    await kubectlApply(
      `${stringify(podinfoDeployment(namespace, 'web'))}---\n${stringify({
        apiVersion: 'fledge.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'web', namespace },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          service: {
            port: 9898,
            targetPort: 'http',
            portName: 'http-web',
            portDiscovery: true,
            apex: { labels: { tier: 'web' }, annotations: { 'example.com/owner': 'shop' } },
          },
          analysis: { interval: '10s', stepWeight: 50 },
        },
      })}`,
    );
    // When it is initialized
    await waitInitialized(namespace, 'web');
    // Then the apex Service answers through the mesh, from the primary's pods
    const answer = await waitFor('web to answer through the mesh', async () => {
      const reply = await viaProxy(proxy(), `http://web.${namespace}:9898/version`);
      return reply.status === 200 ? reply : undefined;
    });
    expect(JSON.parse(answer.body)).toMatchObject({ version: '6.0.0' });
    // And the three Services carry the port name, every other declared port and the metadata
    for (const name of ['web', 'web-primary', 'web-canary']) {
      const service = JSON.parse(
        await kubectl(['-n', namespace, 'get', 'service', name, '-o', 'json']),
      );
      expect(
        service.spec.ports.map((p: { name: string; port: number; targetPort: unknown }) =>
          [p.name, p.port, p.targetPort].join(' '),
        ),
      ).toEqual(['http-web 9898 http', 'http-metrics 9797 9797', 'grpc 9999 9999']);
    }
    const apex = JSON.parse(
      await kubectl(['-n', namespace, 'get', 'service', 'web', '-o', 'json']),
    );
    expect(apex.metadata.labels).toMatchObject({ tier: 'web', 'fledge.dev/managed': 'true' });
    expect(apex.metadata.annotations).toMatchObject({ 'example.com/owner': 'shop' });
  });
});
