import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readAuditFacts } from '../../../chaos/audit-log.js';
import { ApiServer, type KubeObject } from '../../../src/kube/api-server.js';
import { loadKubeConfig } from '../../../src/kube/kubeconfig.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { startControlPlane } from '../../../src/playground/control-plane.js';
import { smiFormat } from '../../../src/routing/smi.js';
import { applyCrdFile, crdFiles } from '../../support/apiserver.js';
import { rolloutManifest } from '../../support/manifests.js';

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe("a scoped audit log on the playground's kube-apiserver", () => {
  it("keeps the changes to the named Rollouts and routing objects, with their objects, and no one else's", async () => {
    // A scale run times its sample of rollbacks from this log: all of its thousand Rollouts'
    // writes would make it gigabytes and slow every write down (the log is written first).
    const stateDir = await mkdtemp(path.join(tmpdir(), 'fledge-audit-'));
    stops.push(() => rm(stateDir, { recursive: true, force: true }));
    const plane = await startControlPlane({
      stateDir,
      withControllerManager: false,
      etcdInMemory: true,
      auditLog: { names: ['sampled'] },
      logger: pino({ level: 'silent' }),
    });
    stops.push(plane.stop);
    const api = new ApiServer(loadKubeConfig({ kubeconfigPath: plane.kubeconfigPath }));
    stops.push(async () => api.close());
    const root = path.resolve(import.meta.dirname, '../../..');
    await applyCrdFile(api, path.join(root, crdFiles.rollout));
    await applyCrdFile(api, path.join(root, crdFiles.trafficSplit));
    const namespace = 'default';
    const splits = new ResourceClient(api, smiFormat('v1alpha2').type);
    const rollouts = new ResourceClient(api, knownTypes.rollouts);
    for (const name of ['sampled', 'other']) {
      await splits.create({
        metadata: { namespace, name },
        spec: {
          service: name,
          backends: [
            { service: `${name}-primary`, weight: 80 },
            { service: `${name}-canary`, weight: 20 },
          ],
        },
      } as KubeObject);
      await rollouts.create(parse(rolloutManifest({ name, namespace })) as KubeObject);
      await rollouts.mergePatch(
        namespace,
        name,
        { status: { phase: 'Failed', failedChecks: 2 } } as never,
        'status',
      );
      await splits.mergePatch(namespace, name, {
        spec: {
          backends: [
            { service: `${name}-primary`, weight: 100 },
            { service: `${name}-canary`, weight: 0 },
          ],
        },
      } as never);
    }

    const facts = await readAuditFacts(plane.auditLogPath ?? '');

    // A create has no name in its path, which is all an audit rule's names match.
    expect(facts.map((fact) => `${fact.verb} ${fact.subject.kind} ${fact.name}`)).toEqual([
      'patch rollout-status sampled',
      'patch routing sampled',
    ]);
    expect(facts[0]?.subject).toMatchObject({ status: { phase: 'Failed', failedChecks: 2 } });
    expect(facts[1]?.subject).toMatchObject({
      routes: [
        [
          { service: 'sampled-primary', weight: 100 },
          { service: 'sampled-canary', weight: 0 },
        ],
      ],
    });
  });
});
