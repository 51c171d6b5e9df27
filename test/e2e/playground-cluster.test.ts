import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { playgroundDown, playgroundEnv, playgroundUp } from '../../src/playground/lifecycle.js';
import { packageRoot, playgroundStateDir } from '../../src/playground/paths.js';
import { readState, stillRunning } from '../../src/playground/state-file.js';
import { waitFor } from '../support/wait.js';
import { clients } from './support/cluster.js';
import { KubectlError, kubectl, kubectlApply } from './support/kubectl.js';
import { given } from './support/scenario.js';

/**
 * The playground's cluster: a real API server and controller-manager behind kubectl and
 * client-node, the CRDs it serves, and the `up`/`down` lifecycle.
 */

const run = Date.now().toString(36);

function deployment(name: string, replicas = 2, env: Record<string, string> = {}) {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: app
          image: example.com/${name}:1.0.0
          ports: [{containerPort: 8080}]
          env: ${JSON.stringify(Object.entries(env).map(([n, value]) => ({ name: n, value })))}
`;
}

const deploymentOf = (namespace: string, name: string) =>
  clients().apps.readNamespacedDeployment({ name, namespace });

describe('the playground cluster', () => {
  it('runs a Deployment to Available with real status, read through client-node', async () => {
    const namespace = `cluster-client-${run}`;
    const { apps, core } = clients();
    await given(namespace)
      .when()
      .do(async () => {
        await apps.createNamespacedDeployment({
          namespace,
          body: parse(deployment('web', 2)) as V1Deployment,
        });
      })
      .then()
      .deploymentAvailable('web', 2)
      .expect(async () => {
        const web = await deploymentOf(namespace, 'web');
        expect(web.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
        const progressing = web.status?.conditions?.find((c) => c.type === 'Progressing');
        expect(progressing?.reason).toBe('NewReplicaSetAvailable');
        const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
        expect(pods.items).toHaveLength(2);
        for (const pod of pods.items) {
          expect(pod.spec?.nodeName).toBe('playground');
          expect(pod.status?.phase).toBe('Running');
          expect(pod.status?.podIP).toMatch(/^127\./);
          expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
        }
      });
  });

  it('answers the kubectl verbs users and controllers rely on', async () => {
    const namespace = `cluster-kubectl-${run}`;
    await given(namespace)
      .manifests(deployment('api', 1))
      .when()
      .applied()
      .kubectl('wait', '--for=condition=Available', '--timeout=60s', 'deployment/api')
      .kubectl('annotate', 'deployment/api', 'fledge.dev/note=first')
      .kubectl(
        'patch',
        'deployment/api',
        '--type',
        'merge',
        '-p',
        '{"metadata":{"labels":{"tier":"backend"}}}',
      )
      .kubectl(
        'patch',
        'deployment/api',
        '--type',
        'json',
        '-p',
        '[{"op":"replace","path":"/spec/template/metadata/labels/version","value":"v1"}]',
      )
      .then()
      .expect(async (c) => {
        const api = parse(await c.kubectl(['get', 'deployment/api', '-o', 'yaml']));
        expect(api.metadata.annotations['fledge.dev/note']).toBe('first');
        expect(api.metadata.labels.tier).toBe('backend');
        expect(api.spec.template.metadata.labels.version).toBe('v1');
      })
      .deploymentAvailable('api', 1)
      .when()
      .kubectl('set', 'image', 'deployment/api', 'app=example.com/api:2.0.0')
      .kubectl('set', 'env', 'deployment/api', 'LATENCY_MS=5')
      .kubectl('scale', 'deployment/api', '--replicas=3')
      .then()
      .deploymentAvailable('api', 3)
      .expect(async (c) => {
        const api = await deploymentOf(c.namespace, 'api');
        const container = api.spec?.template.spec?.containers[0];
        expect(container?.image).toBe('example.com/api:2.0.0');
        expect(container?.env).toContainEqual({ name: 'LATENCY_MS', value: '5' });
        const sets = await c.clients.apps.listNamespacedReplicaSet({ namespace: c.namespace });
        const current = sets.items.filter((rs) => (rs.status?.replicas ?? 0) > 0);
        expect(current).toHaveLength(1);
        expect(current[0]?.spec?.template?.spec?.containers[0]?.image).toBe(
          'example.com/api:2.0.0',
        );
      })
      .when()
      .kubectl('delete', 'deployment/api', '--wait=true')
      .then()
      .eventually('the garbage collector to delete the ReplicaSets and pods of api', async (c) => {
        const [sets, pods] = await Promise.all([
          c.clients.apps.listNamespacedReplicaSet({ namespace: c.namespace }),
          c.clients.core.listNamespacedPod({ namespace: c.namespace }),
        ]);
        return sets.items.length + pods.items.length === 0 ? true : undefined;
      });
  });

  it('streams changes to `kubectl get -w`', async () => {
    const namespace = `cluster-watch-${run}`;
    await given(namespace).manifests(deployment('watched', 1)).when().applied();
    const watcher = spawn(
      'kubectl',
      [
        '-n',
        namespace,
        'get',
        'deployment/watched',
        '-w',
        '-o',
        'jsonpath={.spec.replicas}{"\\n"}',
      ],
      { env: { ...process.env, KUBECONFIG: inject('KUBECONFIG') } },
    );
    let seen = '';
    watcher.stdout.on('data', (chunk) => {
      seen += chunk;
    });
    try {
      await waitFor('the watch to list the deployment', async () => (seen ? true : undefined));
      await kubectl(['-n', namespace, 'scale', 'deployment/watched', '--replicas=2']);
      await waitFor('the watch to show 2 replicas', async () =>
        seen.split('\n').includes('2') ? true : undefined,
      );
    } finally {
      watcher.kill();
    }
  });

  it('rejects a TrafficSplit that breaks the schema with a 422 naming the field', async () => {
    const namespace = `cluster-crd-${run}`;
    await given(namespace);
    const invalid = `apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: broken}
spec:
  service: api-service
  backends:
    - {service: api-service-stable, weight: ninety}
`;
    const failure = await kubectlApply(invalid, namespace).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubectlError);
    expect((failure as KubectlError).stderr).toMatch(/spec\.backends\[0\]\.weight/);
    expect((failure as KubectlError).stderr).toMatch(/integer/);

    const apiFailure = await clients()
      .custom.createNamespacedCustomObject({
        group: 'split.smi-spec.io',
        version: 'v1alpha2',
        namespace,
        plural: 'trafficsplits',
        body: parse(invalid),
      })
      .catch((error: unknown) => error as { code?: number; body?: string });
    expect(apiFailure).toMatchObject({ code: 422 });
    expect(JSON.parse(String((apiFailure as { body?: string }).body)).reason).toBe('Invalid');
  });

  it('accepts the routing objects users write, at every served version', async () => {
    const namespace = `cluster-routes-${run}`;
    await given(namespace)
      .when()
      .apply(`apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: api-rollout}
spec:
  service: api-service
  backends:
  - service: api-service-stable
    weight: 90
  - service: api-service-canary
    weight: 10
---
apiVersion: split.smi-spec.io/v1alpha1
kind: TrafficSplit
metadata: {name: legacy}
spec:
  service: api-service
  backends:
  - {service: api-service-stable, weight: 900m}
  - {service: api-service-canary, weight: 100m}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api-gateway}
spec:
  parentRefs:
  - {name: api-service, kind: Service, group: core, port: 8080}
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    timeouts: {request: 10s}
    backendRefs:
    - {name: api-service-stable, port: 8080, weight: 90}
    - {name: api-service-canary, port: 8080, weight: 10}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: api-gateway-beta}
spec:
  parentRefs: [{name: api-service, kind: Service, group: core}]
  rules: [{backendRefs: [{name: api-service-stable, port: 8080}]}]
---
apiVersion: policy.linkerd.io/v1beta3
kind: HTTPRoute
metadata: {name: api-policy}
spec:
  parentRefs: [{name: api-service, kind: Service, group: core, port: 8080}]
  rules:
  - backendRefs:
    - {name: api-service-stable, port: 8080, weight: 50}
    - {name: api-service-canary, port: 8080, weight: 50}
`)
      .then()
      .expect(async (c) => {
        const split = parse(
          await c.kubectl(['get', 'trafficsplits.split.smi-spec.io/api-rollout', '-o', 'yaml']),
        );
        expect(split.spec.backends[1]).toEqual({ service: 'api-service-canary', weight: 10 });
        const gateway = parse(
          await c.kubectl([
            'get',
            'httproutes.gateway.networking.k8s.io/api-gateway',
            '-o',
            'yaml',
          ]),
        );
        expect(gateway.spec.rules[0].timeouts).toEqual({ request: '10s' });
        const route = parse(
          await c.kubectl(['get', 'httproutes.policy.linkerd.io/api-policy', '-o', 'yaml']),
        );
        expect(route.spec.rules[0].backendRefs[1].weight).toBe(50);
      });
  });
});

/** TCP ports in LISTEN state on this machine, from /proc/net/tcp{,6}. */
async function listeningPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8')).trim().split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local) ports.add(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/** The ports a playground's environment points at: API server, Prometheus, mesh proxy. */
async function portsOf(env: Record<string, string>): Promise<number[]> {
  const kubeconfig = parse(await readFile(env.KUBECONFIG ?? '', 'utf8'));
  return [
    kubeconfig.clusters[0].cluster.server,
    env.FLEDGE_PROMETHEUS_URL,
    env.FLEDGE_MESH_PROXY,
  ].map((url) => Number(new URL(url).port));
}

describe('fledge playground up / down', () => {
  const name = `e2e-lifecycle-${process.pid}`;
  afterAll(async () => {
    await playgroundDown(name);
    await rm(playgroundStateDir(name), { recursive: true, force: true });
  });

  it('starts once however often `up` runs, and `down` leaves no process or listener', async () => {
    const cli = path.join(packageRoot(), 'dist', 'src', 'playground', 'cli.js');
    expect(existsSync(cli), `${cli} is missing: run \`npm run build\` before the e2e tests`).toBe(
      true,
    );
    const env = await playgroundUp({ name });
    const state = await readState(playgroundStateDir(name));
    if (state?.status !== 'ready') throw new Error(`expected a ready state, got ${state?.status}`);

    expect(await playgroundUp({ name })).toEqual(env);
    expect((await readState(playgroundStateDir(name)))?.supervisor).toEqual(state.supervisor);
    expect(await playgroundEnv(name)).toEqual(env);
    const nodes = await kubectl(['get', 'nodes', '-o', 'name'], { kubeconfigPath: env.KUBECONFIG });
    expect(nodes.trim()).toBe('node/playground');

    const ports = await portsOf(env);
    const listening = await listeningPorts();
    for (const port of ports) expect(listening.has(port)).toBe(true);

    expect(await playgroundDown(name)).toBe(true);
    for (const process of [state.supervisor, ...state.processes]) {
      expect(stillRunning(process), `pid ${process.pid} still runs`).toBe(false);
    }
    const after = await listeningPorts();
    expect(ports.filter((port) => after.has(port))).toEqual([]);
    expect(await playgroundDown(name)).toBe(false);
    await expect(playgroundEnv(name)).rejects.toThrow(/is not running; start it with/);
    expect(existsSync(path.join(playgroundStateDir(name), 'supervisor.log'))).toBe(true);
    expect(await playgroundDown(name, { purge: true })).toBe(false);
    expect(existsSync(playgroundStateDir(name))).toBe(false);
  });

  it('takes its processes down with a killed supervisor, and `up` then starts afresh', async () => {
    const first = await playgroundUp({ name });
    const state = await readState(playgroundStateDir(name));
    if (state?.status !== 'ready') throw new Error(`expected a ready state, got ${state?.status}`);

    process.kill(state.supervisor.pid, 'SIGKILL');
    for (const child of state.processes) {
      await expect
        .poll(() => stillRunning(child), { timeout: 10_000, message: `pid ${child.pid} lingers` })
        .toBe(false);
    }
    await expect(playgroundEnv(name)).rejects.toThrow(/is not running/);

    const second = await playgroundUp({ name });
    expect(second.FLEDGE_MESH_PROXY).not.toBe(first.FLEDGE_MESH_PROXY);
    const nodes = await kubectl(['get', 'nodes', '-o', 'name'], {
      kubeconfigPath: second.KUBECONFIG,
    });
    expect(nodes.trim()).toBe('node/playground');
  });
});
