import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RolloutStatus } from '../../src/api/types.js';
import { waitFor } from '../support/wait.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import {
  appManifest,
  type RolloutOptions,
  rolloutManifest,
  waitForStatus,
  waitInitialized,
} from './support/rollout.js';
import { controllerSuite } from './support/suite.js';
import type { Traffic } from './support/traffic.js';

/**
 * What must hold when things go wrong (contract §2): deleting a Rollout, valid or not, never
 * causes an outage; a lost target takes its canary traffic back at once; a promotion copies
 * the target exactly. Traffic flows through the mesh proxy throughout and is counted there.
 * Each scenario has its own namespace and load, so they run side by side under one controller.
 */

const suite = controllerSuite('trust', ['delete-invalid', 'delete-mid', 'lost-target', 'faithful']);
const ns = suite.ns;

interface Given {
  namespace: string;
  apex: string;
  traffic: Traffic;
  statuses: RolloutStatus[];
}

const name = 'podinfo';

/** Given a healthy app and its Rollout, initialized, with callers on the apex Service. */
async function givenInitialized(
  scenario: string,
  rollout: Partial<RolloutOptions> = {},
  app = appManifest({ name, namespace: ns(scenario) }),
): Promise<Given> {
  const namespace = ns(scenario);
  await kubectlApply(app);
  await kubectlApply(rolloutManifest({ name, namespace, ...rollout }));
  await waitInitialized(namespace, name);
  const apex = `http://${name}.${namespace}:8080/`;
  const load = suite.traffic([apex], 20);
  return { namespace, apex, traffic: load, statuses: [] };
}

const newImage = (g: Given) =>
  kubectl(['-n', g.namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);

async function canaryWeightInSplit(namespace: string): Promise<number | undefined> {
  const out = await kubectl([
    '-n',
    namespace,
    'get',
    `trafficsplit/${name}`,
    '-o',
    'jsonpath={.spec.backends[1].weight}',
  ]).catch(() => '');
  return out === '' ? undefined : Number(out);
}

/** Then: callers were served throughout, and still are well after the Rollout is gone. */
async function expectNoFailedRequests(g: Given): Promise<void> {
  const before = g.traffic.counts(g.apex).total;
  await waitFor('more requests to the apex after the deletion', async () =>
    g.traffic.counts(g.apex).total >= before + 60 ? true : undefined,
  );
  const counts = g.traffic.counts(g.apex);
  expect(counts.failed, JSON.stringify(counts.byStatus)).toBe(0);
  expect(
    await kubectl(['-n', g.namespace, 'get', 'deployment', `${name}-primary`, '-o', 'name']),
  ).toContain(`${name}-primary`);
}

describe.concurrent('deleting a Rollout', () => {
  it('serves every request when the Rollout deleted is invalid', async () => {
    const g = await givenInitialized('delete-invalid');
    await kubectl([
      '-n',
      g.namespace,
      'patch',
      `rollout/${name}`,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { analysis: { stepWeight: 80, maxWeight: 50 } } }),
    ]);
    await waitForStatus(g.namespace, name, 'to be Invalid', (s) =>
      Boolean(s.conditions?.some((c) => c.type === 'Invalid' && c.status === 'True')),
    );
    await kubectl(['-n', g.namespace, 'delete', `rollout/${name}`, '--wait=true']);
    await expectNoFailedRequests(g);
  });

  it('serves every request when the Rollout is deleted at canary weight 30', async () => {
    const g = await givenInitialized('delete-mid', {
      stepWeight: 30,
      maxWeight: 30,
      promotion: 'manual',
    });
    await newImage(g);
    await waitForStatus(
      g.namespace,
      name,
      'to hold at weight 30',
      (s) => s.phase === 'WaitingPromotion',
    );
    expect(await canaryWeightInSplit(g.namespace)).toBe(30);
    await kubectl(['-n', g.namespace, 'delete', `rollout/${name}`, '--wait=true']);
    await expectNoFailedRequests(g);
    expect(
      await kubectl([
        '-n',
        g.namespace,
        'get',
        `deployment/${name}`,
        '-o',
        'jsonpath={.spec.replicas}',
      ]),
    ).toBe('0');
  });
});

describe.concurrent('a lost target', () => {
  it('puts the weight at 0 before another interval passes when the target is deleted at weight 30', async () => {
    const g = await givenInitialized('lost-target', {
      interval: '4s',
      stepWeight: 30,
      maxWeight: 30,
      promotion: 'manual',
      threshold: 5,
    });
    await newImage(g);
    const holding = await waitForStatus(
      g.namespace,
      name,
      'to hold at weight 30',
      (s) => s.phase === 'WaitingPromotion',
    );
    await kubectl(['-n', g.namespace, 'delete', `deployment/${name}`, '--wait=false']);
    const lost = await waitForStatus(
      g.namespace,
      name,
      'to take canary traffic back',
      (s) => s.phase === 'Failed',
      [],
      { timeoutMs: 30_000 },
    );
    // No analysis ran in between: it did not wait for the next interval, or for failed checks.
    expect(lost.iterations).toBeLessThanOrEqual((holding.iterations ?? 0) + 1);
    expect(lost.failedChecks).toBe(holding.failedChecks);
    expect(await canaryWeightInSplit(g.namespace)).toBe(0);
    expect(lost.conditions?.find((c) => c.type === 'TargetFound')).toMatchObject({
      status: 'False',
      message: expect.stringContaining(`${g.namespace}/${name}`),
    });
    const events = await kubectl([
      '-n',
      g.namespace,
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${name},reason=TargetNotFound`,
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(events).toContain(`target Deployment ${g.namespace}/${name}`);
  });
});

describe.concurrent('promotion', () => {
  it('copies the target to the primary exactly: what was removed is gone from the primary too', async () => {
    const namespace = ns('faithful');
    const app = stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels: { app: name } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name }, annotations: { 'team.example/owner': 'payments' } },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux', 'example.com/pool': 'blue' },
            containers: [
              {
                name: 'app',
                image: 'fledge/demo:1.0.0',
                ports: [{ name: 'http', containerPort: 8080 }],
                env: [
                  { name: 'ERROR_RATE', value: '0' },
                  { name: 'FEATURE_X', value: 'enabled' },
                ],
                resources: { limits: { cpu: '500m', memory: '128Mi' } },
              },
            ],
          },
        },
      },
    });
    const g = await givenInitialized('faithful', { extraSpec: { skipAnalysis: true } }, app);
    const template = async (path: string) =>
      kubectl([
        '-n',
        namespace,
        'get',
        `deployment/${name}-primary`,
        '-o',
        `jsonpath={.spec.template${path}}`,
      ]);
    expect(await template('.spec.nodeSelector.example\\.com/pool')).toBe('blue');
    await kubectl([
      '-n',
      namespace,
      'patch',
      `deployment/${name}`,
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'remove', path: '/spec/template/spec/nodeSelector/example.com~1pool' },
        { op: 'remove', path: '/spec/template/metadata/annotations/team.example~1owner' },
        { op: 'remove', path: '/spec/template/spec/containers/0/env/1' },
        { op: 'remove', path: '/spec/template/spec/containers/0/resources/limits/cpu' },
      ]),
    ]);
    await waitForStatus(g.namespace, name, 'to promote the change', (s) => s.phase === 'Succeeded');
    expect(await template('.spec.nodeSelector')).toBe(
      JSON.stringify({ 'kubernetes.io/os': 'linux' }),
    );
    expect(await template('.metadata.annotations.team\\.example/owner')).toBe('');
    expect(await template('.spec.containers[0].env[*].name')).toBe('ERROR_RATE');
    expect(await template('.spec.containers[0].resources.limits')).toBe(
      JSON.stringify({ memory: '128Mi' }),
    );
  });
});
