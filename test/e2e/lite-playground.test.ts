import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Playground, startPlayground } from '../../src/playground/playground.js';
import { appManifest, rolloutManifest } from '../support/manifests.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { kubectl } from './support/kubectl.js';
import { promQuery } from './support/prometheus.js';
import { finished, waitForStatus } from './support/rollout.js';

/**
 * The lite playground of the scale harness (docs/scale.md): pods run no process, and their
 * Linkerd series are synthesised from their spec and scraped by the real Prometheus. A
 * controller there promotes a healthy canary and rolls back a faulty one, as on the full
 * playground.
 */

const namespace = 'lite';
let playground: Playground;
let controller: ControllerProcess | undefined;

const inLite = (args: string[], input?: string) =>
  kubectl(args, { kubeconfigPath: playground.kubeconfigPath, ...(input ? { input } : {}) });

beforeAll(async () => {
  playground = await startPlayground({
    name: `lite-${process.pid}`,
    logger: pino({ level: process.env.FLEDGE_E2E_LOG ?? 'warn' }),
    lite: { rps: 10, latency: true },
  });
  await inLite(['create', 'namespace', namespace]);
  controller = startController({
    namespaces: [namespace],
    kubeconfig: playground.kubeconfigPath,
    meshProxy: playground.meshProxy,
    prometheusUrl: playground.prometheusUrl,
  });
  await controller.url();
});

afterAll(async () => {
  await controller?.kill();
  await playground?.stop();
});

describe('the lite playground', () => {
  it('promotes a healthy canary and rolls back a faulty one from the synthesised series', async () => {
    // Given two apps and their Rollouts, initialized
    for (const name of ['healthy', 'faulty']) {
      await inLite(['apply', '-f', '-'], appManifest({ name, namespace }));
      await inLite(
        ['apply', '-f', '-'],
        rolloutManifest({ name, namespace, threshold: 2, stepWeight: 50, maxWeight: 50 }),
      );
    }
    const options = { kubeconfigPath: playground.kubeconfigPath };
    for (const name of ['healthy', 'faulty']) {
      await waitForStatus(
        namespace,
        name,
        'Initialized',
        (s) => s.phase === 'Initialized',
        [],
        options,
      );
    }

    // When the healthy one gets a new image and the faulty one a canary that fails half its requests
    await inLite(['-n', namespace, 'set', 'image', 'deployment/healthy', 'app=fledge/demo:2.0.0']);
    await inLite(['-n', namespace, 'set', 'env', 'deployment/faulty', 'ERROR_RATE=0.5']);

    // Then the healthy one is promoted and the faulty one rolled back, its weight 0 in the API
    const healthy = await waitForStatus(namespace, 'healthy', 'to finish', finished, [], options);
    const faulty = await waitForStatus(namespace, 'faulty', 'to finish', finished, [], options);
    expect(healthy.phase).toBe('Succeeded');
    expect(faulty.phase).toBe('Failed');
    const weights = await inLite([
      '-n',
      namespace,
      'get',
      'trafficsplit/faulty',
      '-o',
      'jsonpath={.spec.backends[*].weight}',
    ]);
    expect(weights.trim()).toBe('100 0');

    // And the failures came from the lite exporter, through the real Prometheus (over the
    // run: the rolled-back canary's pods are gone, so their series may be stale by now)
    const failures = await promQuery(
      `sum(max_over_time(response_total{job="linkerd-proxy-lite-playground",namespace="${namespace}",deployment="faulty",direction="inbound",classification="failure"}[10m]))`,
      playground.prometheusUrl,
    );
    expect(failures).toBeGreaterThan(0);
  });
});
