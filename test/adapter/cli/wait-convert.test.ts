import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { RolloutObject } from '../../../src/cli/rollout-object.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer } from '../../support/apiserver.js';
import { finished, repoRoot, runCli, startCli, untilOutput } from './cli-process.js';
import { clusterFixtures } from './cluster-fixtures.js';

const cluster = useApiServer(['rollout', 'metricTemplate']);
const {
  rollouts,
  deployments,
  setStatus,
  createRollout,
  createDeployment,
  setImage,
  targetRevision,
  env,
} = clusterFixtures(cluster);

describe('fledge wait', () => {
  const fast = ['--poll-interval', '200ms'];

  it('waits past the Succeeded status of the previous revision and exits 0 when the new one succeeds', async () => {
    const namespace = await cluster().createNamespace('wait');
    await createDeployment(namespace, 'api', 'app:1');
    await createRollout(namespace, 'api');
    const old = await targetRevision(namespace, 'api');
    await setStatus(namespace, 'api', {
      phase: 'Succeeded',
      currentRevision: old,
      canaryWeight: 0,
      failedChecks: 0,
    });
    await setImage(namespace, 'api', 'app:2');
    const next = await targetRevision(namespace, 'api');
    expect(next).not.toBe(old);

    const child = startCli(['wait', 'api', '-n', namespace, '--timeout', '20s', ...fast], env());
    const result = finished(child);
    await untilOutput(child, /waiting for rollout/);
    await setStatus(namespace, 'api', {
      phase: 'Progressing',
      currentRevision: next,
      canaryWeight: 10,
    });
    await untilOutput(child, /Progressing weight=10\/50/);
    await setStatus(namespace, 'api', {
      phase: 'Succeeded',
      currentRevision: next,
      canaryWeight: 0,
    });
    const { code, stdout } = await result;
    expect(code).toBe(0);
    expect(stdout).toContain(`waiting for rollout ${namespace}/api to finish revision ${next}`);
    expect(stdout).toMatch(/Z \S+ Progressing weight=10\/50/);
    expect(stdout).toContain(`revision ${next} succeeded`);
  });

  it('waits for the newest revision when a ConfigMap the target reads changes during the wait', async () => {
    const namespace = await cluster().createNamespace('wait');
    const configMaps = new ResourceClient(cluster().api, knownTypes.configMaps);
    await configMaps.create({
      metadata: { name: 'settings', namespace },
      data: { mode: 'a' },
    } as never);
    await deployments().create({
      metadata: { name: 'api', namespace },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: {
            containers: [
              { name: 'app', image: 'app:1', envFrom: [{ configMapRef: { name: 'settings' } }] },
            ],
          },
        },
      },
    });
    await createRollout(namespace, 'api');
    const analysed = await targetRevision(namespace, 'api');
    await setStatus(namespace, 'api', {
      phase: 'Progressing',
      currentRevision: analysed,
      canaryWeight: 10,
    });

    const child = startCli(['wait', 'api', '-n', namespace, '--timeout', '20s', ...fast], env());
    const result = finished(child);
    await untilOutput(child, new RegExp(`to finish revision ${analysed}`));
    await configMaps.mergePatch(namespace, 'settings', { data: { mode: 'b' } });
    const newest = await targetRevision(namespace, 'api');
    expect(newest).not.toBe(analysed);
    await untilOutput(child, new RegExp(`the target changed: now waiting for revision ${newest}`));
    await setStatus(namespace, 'api', {
      phase: 'Succeeded',
      currentRevision: analysed,
      canaryWeight: 0,
    });
    await sleep(800);
    expect(child.exitCode).toBeNull();
    await setStatus(namespace, 'api', { phase: 'Succeeded', currentRevision: newest });
    const { code, stdout } = await result;
    expect(code).toBe(0);
    expect(stdout).toContain(`revision ${newest} succeeded`);
  });

  it('exits 1 when the target revision was rolled back', async () => {
    const namespace = await cluster().createNamespace('wait');
    await createDeployment(namespace, 'api', 'app:1');
    await createRollout(namespace, 'api');
    const revision = await targetRevision(namespace, 'api');
    await setStatus(namespace, 'api', {
      phase: 'Failed',
      currentRevision: revision,
      failedChecks: 3,
      message: 'success rate 50 < 99',
    });
    const result = await runCli(['wait', 'api', '-n', namespace, ...fast], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /failed and was rolled back \(3\/3 failed checks\): success rate 50 < 99/,
    );
  });

  it('exits 2 on timeout and says what it was still waiting for', async () => {
    const namespace = await cluster().createNamespace('wait');
    await createDeployment(namespace, 'api', 'app:1');
    await createRollout(namespace, 'api', { phase: 'Succeeded', currentRevision: 'previous' });
    const result = await runCli(
      ['wait', 'api', '-n', namespace, '--timeout', '1s', ...fast],
      env(),
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /timed out after 1s: .* has not started on the target's revision/,
    );
  });

  it('exits 3 when the rollout does not exist', async () => {
    const namespace = await cluster().createNamespace('wait');
    const result = await runCli(['wait', 'nope', '-n', namespace, ...fast], env());
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`rollout ${namespace}/nope not found`);
  });
});

describe('fledge convert', () => {
  it('reads a Canary from stdin and writes a Rollout the API server accepts', async () => {
    const namespace = await cluster().createNamespace('convert');
    const canary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api, namespace: ${namespace}}
spec:
  provider: linkerd
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  service: {port: 8080}
  analysis: {interval: 30s, threshold: 2, stepWeight: 20, maxWeight: 60}
`;
    const result = await runCli(['convert', '-'], env(), canary);
    expect(result.code).toBe(0);
    const created = await rollouts().create(parse(result.stdout) as RolloutObject);
    expect(created.spec?.analysis).toMatchObject({
      interval: '30s',
      threshold: 2,
      stepWeight: 20,
      maxWeight: 60,
    });
  });

  it("writes Flagger's tutorial as MetricTemplates and a Rollout that the API server stores", async () => {
    const namespace = await cluster().createNamespace('tutorial');
    const tutorial = readFileSync(
      path.join(repoRoot, 'examples/flagger/linkerd-podinfo.yaml'),
      'utf8',
    ).replaceAll('namespace: test', `namespace: ${namespace}`);
    const result = await runCli(['convert', '-'], env(), tutorial);
    expect(result.code, result.stderr).toBe(0);
    const documents = parseAllDocuments(result.stdout).map((d) => d.toJSON());
    const templates = new ResourceClient(cluster().api, {
      group: 'fledge.dev',
      version: 'v1alpha1',
      plural: 'metrictemplates',
      kind: 'MetricTemplate',
      namespaced: true,
    });
    for (const document of documents) {
      const client = document.kind === 'MetricTemplate' ? templates : rollouts();
      await client.create(document);
    }
    expect((await templates.list(namespace)).items.map((t) => t.metadata?.name)).toEqual([
      'latency',
      'success-rate',
    ]);
  });

  it('exits 1 when a Canary cannot be converted, saying why', async () => {
    const result = await runCli(
      ['convert', '-'],
      env(),
      'apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: x}\nspec: {provider: istio, targetRef: {name: x}, service: {port: 80}, analysis: {stepWeight: 5}}\n',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Canary x: cannot be converted: spec.provider: provider istio/);
  });
});
