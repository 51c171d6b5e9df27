import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { RolloutStatus } from '../../src/api/types.js';
import { viaProxy } from '../support/via-proxy.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import { promVector } from './support/prometheus.js';
import {
  appManifest,
  createNamespace,
  finished,
  rolloutManifest,
  waitForStatus,
  waitInitialized,
  weightsSeen,
} from './support/rollout.js';

/**
 * Issue 5 end to end: the playground's loadtester, reached in the mesh as
 * fledge-loadtester.fledge-system, is the only source of traffic. The controller calls its
 * `rollout` webhook every interval; the load it starts on the canary Service is what the
 * analysis measures, so a healthy canary is promoted and a faulty one rolled back on it.
 */

const run = Date.now().toString(36);
const ns = (scenario: string) => `lt-${scenario}-${run}`;
const scenarios = ['healthy', 'faulty'];
const name = 'podinfo';
let controller: ControllerProcess;

beforeAll(async () => {
  for (const scenario of scenarios) await createNamespace(ns(scenario));
  controller = startController({ namespaces: scenarios.map(ns) });
  await controller.url();
});

afterAll(async () => {
  await controller?.kill();
});

/** The e2e Rollout plus a `rollout` webhook asking the loadtester to load the canary. */
function rolloutWithLoad(namespace: string, threshold?: number): string {
  const rollout = parse(rolloutManifest({ name, namespace, threshold }));
  rollout.spec.analysis.webhooks = [
    {
      name: 'load-canary',
      type: 'rollout',
      url: 'http://fledge-loadtester.fledge-system/',
      timeout: '5s',
      metadata: {
        type: 'autocannon',
        url: `http://${name}-canary.${namespace}:8080/`,
        rps: '20',
        duration: '60s',
      },
    },
  ];
  return stringify(rollout);
}

async function givenInitialized(namespace: string, threshold?: number): Promise<void> {
  await kubectlApply(appManifest({ name, namespace }));
  await kubectlApply(rolloutWithLoad(namespace, threshold));
  await waitInitialized(namespace, name);
}

/** Responses by calling workload, for every call into `namespace`, as Prometheus scraped them. */
async function responsesByCaller(namespace: string): Promise<Record<string, number>> {
  const samples = await promVector(
    `sum by (namespace, deployment, dst_service) (response_total{direction="outbound",dst_namespace="${namespace}"})`,
  );
  return Object.fromEntries(
    samples.map((s) => [
      `${s.labels.namespace}/${s.labels.deployment} -> ${s.labels.dst_service}`,
      s.value,
    ]),
  );
}

describe.concurrent('the playground loadtester as the only traffic', () => {
  it('answers in the mesh as fledge-loadtester.fledge-system', async () => {
    const answer = await viaProxy(
      inject('FLEDGE_MESH_PROXY'),
      'http://fledge-loadtester.fledge-system/healthz',
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
  });

  it('promotes a healthy canary on the load the rollout webhook starts', async () => {
    const namespace = ns('healthy');
    await givenInitialized(namespace);
    await kubectl(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);
    const statuses: RolloutStatus[] = [];
    const done = await waitForStatus(namespace, name, 'to finish', finished, statuses);
    expect(done.phase, done.message).toBe('Succeeded');
    expect(weightsSeen(statuses).filter((w) => w > 0)).toEqual([10, 20, 30, 40, 50]);

    const callers = await responsesByCaller(namespace);
    expect(Object.keys(callers)).toEqual([`fledge-system/fledge-loadtester -> ${name}-canary`]);
    expect(callers[`fledge-system/fledge-loadtester -> ${name}-canary`]).toBeGreaterThan(50);
  });

  it('rolls back a canary with ERROR_RATE=0.3 on the same load', async () => {
    const namespace = ns('faulty');
    await givenInitialized(namespace, 3);
    await kubectl(['-n', namespace, 'set', 'env', `deployment/${name}`, 'ERROR_RATE=0.3']);
    const done = await waitForStatus(namespace, name, 'to finish', finished);
    expect(done.phase, done.message).toBe('Failed');
    expect(done.failedChecks).toBe(3);
    const successRate = done.lastAnalysis?.find((a) => a.metric === 'request-success-rate');
    expect(successRate?.passed).toBe(false);
    // 30 % of the canary's answers fail; the 10 s window may still hold a few earlier successes.
    expect(successRate?.value).toBeGreaterThan(65);
    expect(successRate?.value).toBeLessThan(80);

    const callers = await responsesByCaller(namespace);
    expect(Object.keys(callers)).toEqual([`fledge-system/fledge-loadtester -> ${name}-canary`]);
  });
});
