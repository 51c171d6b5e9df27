import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { RolloutStatus } from '../../src/api/types.js';
import type { Autoscaler } from '../../src/controller/workload/autoscaler.js';
import { autoscalerType } from '../../src/controller/workload/autoscalers.js';
import { ApiServer, type KubeObject } from '../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../src/kube/resources.js';
import { waitFor } from '../support/wait.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import {
  finished,
  rolloutManifest,
  rolloutStatus,
  waitForStatus,
  waitInitialized,
} from './support/rollout.js';
import { controllerSuite } from './support/suite.js';

/**
 * Autoscaled targets with kube-controller-manager's real HPA controller, reading the
 * playground's metrics.k8s.io: each pod's CPU is CPU_MILLICORES plus CPU_MILLICORES_PER_RPS
 * for each request a second it serves, so load through the mesh scales Deployments.
 */

const name = 'podinfo';

type Scaled = KubeObject & { spec?: { replicas?: number; template?: unknown } };
let deployments: ResourceClient<Scaled>;
let hpas: ResourceClient<Autoscaler>;

beforeAll(async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('KUBECONFIG'));
  const api = new ApiServer(kc);
  deployments = new ResourceClient(api, knownTypes.deployments);
  hpas = new ResourceClient(api, autoscalerType('v2beta2'));
});

const suite = controllerSuite('hpa', ['promote', 'rollback']);
const ns = suite.ns;

function app(namespace: string): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'fledge/demo:1.0.0',
              ports: [{ name: 'http', containerPort: 8080 }],
              resources: { requests: { cpu: '100m' } },
              env: [
                { name: 'ERROR_RATE', value: '0' },
                { name: 'CPU_MILLICORES', value: '10' },
                { name: 'CPU_MILLICORES_PER_RPS', value: '10' },
              ],
            },
          ],
        },
      },
    },
  });
}

/**
 * Scales up fast, never down: only someone other than the HPA could lower a Deployment. Under
 * the test's load it wants more than MAX_REPLICAS, so a scaled-up Deployment holds there.
 */
function autoscaler(namespace: string): string {
  return stringify({
    apiVersion: 'autoscaling/v2beta2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: MAX_REPLICAS,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }],
        },
        scaleDown: { selectPolicy: 'Disabled' },
      },
    },
  });
}

const MAX_REPLICAS = 4;

const replicasOf = async (namespace: string, deployment: string) =>
  (await deployments.get(namespace, deployment)).spec?.replicas ?? 0;

interface ScalingCondition {
  type: string;
  status: string;
  reason?: string;
}

/** The real HPA controller's verdict on a target at 0: it does not scale it. */
async function waitTargetAutoscalerInert(namespace: string): Promise<void> {
  await waitFor(
    "the target's HPA to leave the target at 0 (ScalingActive False, ScalingDisabled)",
    async () => {
      const hpa = await hpas.get(namespace, name);
      const active = (hpa.status?.conditions as ScalingCondition[] | undefined)?.find(
        (c) => c.type === 'ScalingActive',
      );
      const inert = active?.status === 'False' && active.reason === 'ScalingDisabled';
      return inert && (await replicasOf(namespace, name)) === 0 ? true : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

/**
 * The primary scaled up by its HPA under load to its maxReplicas, where the HPA wants more
 * (ScalingLimited, TooManyReplicas), with every pod measured by `kubectl top`.
 */
async function scaledUpUnderLoad(namespace: string): Promise<number> {
  await waitFor(
    "the primary's HPA to scale it to its maximum under load, and want more",
    async () => {
      const hpa = await hpas.get(namespace, `${name}-primary`);
      const limited = (hpa.status?.conditions as ScalingCondition[] | undefined)?.find(
        (c) => c.type === 'ScalingLimited',
      );
      const atMax = (await replicasOf(namespace, `${name}-primary`)) === MAX_REPLICAS;
      return atMax && limited?.status === 'True' && limited.reason === 'TooManyReplicas'
        ? true
        : undefined;
    },
    { timeoutMs: 150_000, intervalMs: 1000 },
  );
  // What the HPA controller reads, kubectl reads too.
  await waitFor('kubectl top to show every primary pod', async () => {
    const top = await kubectl(['-n', namespace, 'top', 'pod', '-l', `app=${name}-primary`]);
    const pods = top.split('\n').filter((line) => line.startsWith(`${name}-primary-`));
    return pods.length === MAX_REPLICAS ? true : undefined;
  });
  return MAX_REPLICAS;
}

interface Sample {
  primary: number;
  target: number;
  phase: string | undefined;
}

/** Samples replicas and phase until the rollout finishes. */
async function sampleUntilFinished(
  namespace: string,
): Promise<{ samples: Sample[]; done: RolloutStatus }> {
  const samples: Sample[] = [];
  const statuses: RolloutStatus[] = [];
  let stop = false;
  const sampling = (async () => {
    while (!stop) {
      const [primary, target, status] = await Promise.all([
        replicasOf(namespace, `${name}-primary`),
        replicasOf(namespace, name),
        rolloutStatus(namespace, name),
      ]);
      samples.push({ primary, target, phase: status.phase });
      await sleep(250);
    }
  })();
  try {
    const done = await waitForStatus(namespace, name, 'to finish', finished, statuses, {
      timeoutMs: 180_000,
    });
    return { samples, done };
  } finally {
    stop = true;
    await sampling;
  }
}

async function givenScaledUp(scenario: string): Promise<{ namespace: string; before: number }> {
  const namespace = ns(scenario);
  await kubectlApply(app(namespace));
  await kubectlApply(autoscaler(namespace));
  await kubectlApply(
    rolloutManifest({
      name,
      namespace,
      interval: '3s',
      stepWeight: 25,
      maxWeight: 50,
      extraSpec: {
        autoscalerRef: { name, primaryScalerReplicas: { minReplicas: 2 } },
        progressDeadlineSeconds: 120,
      },
    }),
  );
  await waitInitialized(namespace, name);
  const primaryHpa = await hpas.get(namespace, `${name}-primary`);
  expect(primaryHpa.spec).toMatchObject({
    scaleTargetRef: { kind: 'Deployment', name: `${name}-primary` },
    minReplicas: 2,
    maxReplicas: MAX_REPLICAS,
  });
  await waitTargetAutoscalerInert(namespace);
  suite.traffic([`http://${name}.${namespace}:8080/`], 24, 400_000);
  return { namespace, before: await scaledUpUnderLoad(namespace) };
}

describe.concurrent('autoscaled targets with the real HPA controller', () => {
  it("starts the canary at the primary's replicas and never shrinks the primary through a promotion", async () => {
    const { namespace, before } = await givenScaledUp('promote');
    await kubectl(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);
    const { samples, done } = await sampleUntilFinished(namespace);
    expect(done.phase, done.message).toBe('Succeeded');

    const started = samples.find((sample) => sample.target > 0);
    expect(started, 'the canary was never scaled up').toBeDefined();
    expect(started?.target).toBe(started?.primary);
    expect(started?.primary).toBe(before);
    expect(Math.min(...samples.map((sample) => sample.primary))).toBeGreaterThanOrEqual(before);

    const primaryHpa = await hpas.get(namespace, `${name}-primary`);
    expect(await replicasOf(namespace, `${name}-primary`)).toBeGreaterThanOrEqual(
      primaryHpa.status?.desiredReplicas ?? 0,
    );
    await waitTargetAutoscalerInert(namespace);
    console.log(
      `e2e figure: primary scaled to ${before} under 24 rps; canary started at ${started?.target}; ${samples.length} samples, primary min ${Math.min(...samples.map((s) => s.primary))}`,
    );
  }, 420_000);

  it("leaves the primary's replicas untouched when a faulty release is rolled back", async () => {
    const { namespace, before } = await givenScaledUp('rollback');
    await kubectl(['-n', namespace, 'set', 'env', `deployment/${name}`, 'ERROR_RATE=0.5']);
    const { samples, done } = await sampleUntilFinished(namespace);
    expect(done.phase, done.message).toBe('Failed');
    expect(new Set(samples.map((sample) => sample.primary))).toEqual(new Set([before]));
    expect(samples.some((sample) => sample.target > 0)).toBe(true);
    await waitTargetAutoscalerInert(namespace);
  }, 420_000);
});
