import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot, runCli } from '../adapter/cli/cli-process.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import { podinfoDeployment } from './support/podinfo.js';
import { createNamespace, waitForStatus, waitInitialized } from './support/rollout.js';
import { startTraffic, type Traffic } from './support/traffic.js';

/**
 * Flagger's Linkerd tutorial on the playground: podinfo, the tutorial's two MetricTemplates and
 * its Canary, converted with `fledge convert` and applied. The templates ask a real Prometheus
 * through a small proxy on 127.0.0.1 that wants a bearer token and a tenant header, as Mimir or
 * Cortex would. Two changes to the tutorial, both to keep the run short on a shared machine:
 * the analysis interval is 4s (not 30s) and stepWeight 25 (not 5); and the templates' address
 * is that proxy, as prometheus.linkerd-viz does not exist here. The metrics keep the tutorial's
 * windows (1m, 30s), which also keep a healthy canary's first checks from finding no data.
 * The two scenarios have their own namespaces and run side by side under one controller.
 */

const run = Date.now().toString(36);
const ns = (scenario: string) => `tutorial-${scenario}-${run}`;
const scenarios = ['healthy', 'failing'];
const TOKEN = 'tutorial-token';
const TENANT = 'team-a';
let controller: ControllerProcess;
let auth: { server: Server; url: string; allowed: number; refused: number };
const traffic: Traffic[] = [];

/** A Prometheus that asks for credentials: the playground's, behind a token and tenant check. */
async function startAuthenticatingProxy(prometheus: string) {
  const state = { allowed: 0, refused: 0 };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (
        req.headers.authorization !== `Bearer ${TOKEN}` ||
        req.headers['x-scope-orgid'] !== TENANT
      ) {
        state.refused += 1;
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"status":"error","errorType":"unauthorized","error":"no tenant or token"}');
        return;
      }
      state.allowed += 1;
      fetch(`${prometheus}${req.url ?? ''}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
        ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(await answer.text());
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
}

/** podinfo's Deployment and HPA as the tutorial installs them (kustomize/podinfo). */
function podinfo(namespace: string): string {
  const deployment = podinfoDeployment(namespace);
  // The tutorial's HPA (kustomize/podinfo/hpa.yaml), which its Canary's autoscalerRef names;
  // autoscaling/v2beta2 because Kubernetes 1.20 serves no other, and fledge follows discovery.
  const hpa = {
    apiVersion: 'autoscaling/v2beta2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'podinfo', namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      minReplicas: 2,
      maxReplicas: 4,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 99 } },
        },
      ],
    },
  };
  return [deployment, hpa].map((document) => stringify(document)).join('---\n');
}

/** The tutorial's file for `namespace`, converted by the CLI, its templates pointed at the proxy. */
async function convertedTutorial(namespace: string): Promise<string> {
  const tutorial = readFileSync(
    path.join(repoRoot, 'examples/flagger/linkerd-podinfo.yaml'),
    'utf8',
  )
    .replaceAll('namespace: test', `namespace: ${namespace}`)
    .replaceAll('.test:', `.${namespace}:`)
    .replaceAll('.test/', `.${namespace}/`)
    .replace('interval: 30s\n    # max number', 'interval: 4s\n    # max number')
    .replace('stepWeight: 5', 'stepWeight: 25');
  const converted = await runCli(['convert', '-'], {}, tutorial);
  expect(converted.code, converted.stderr).toBe(0);
  const documents = parseAllDocuments(converted.stdout).map((d) => d.toJSON());
  expect(documents.map((d) => d.kind)).toEqual(['MetricTemplate', 'MetricTemplate', 'Rollout']);
  for (const document of documents) {
    if (document.kind !== 'MetricTemplate') continue;
    document.spec.provider = {
      ...document.spec.provider,
      address: auth.url,
      secretRef: { name: 'prometheus-auth' },
      headers: { 'X-Scope-OrgID': [TENANT] },
    };
  }
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'prometheus-auth', namespace },
    stringData: { token: TOKEN },
  };
  return [secret, ...documents].map((document) => stringify(document)).join('---\n');
}

async function givenTutorial(namespace: string): Promise<void> {
  await kubectlApply(podinfo(namespace));
  await kubectlApply(
    stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'podinfo', namespace },
      spec: { selector: { app: 'podinfo' }, ports: [{ name: 'http', port: 9898 }] },
    }),
  );
  await kubectlApply(await convertedTutorial(namespace));
  await waitInitialized(namespace, 'podinfo');
  // The tutorial's users call podinfo through its apex Service.
  traffic.push(startTraffic([`http://podinfo.${namespace}:9898/`], 10));
}

/** A new podinfo revision, as `kubectl set image` makes one in the tutorial. */
const newRevision = (namespace: string) =>
  kubectl(['-n', namespace, 'set', 'env', 'deployment/podinfo', `PODINFO_UI_MESSAGE=${run}`]);

beforeAll(async () => {
  auth = await startAuthenticatingProxy(inject('FLEDGE_PROMETHEUS_URL'));
  for (const scenario of scenarios) await createNamespace(ns(scenario));
  controller = startController({ namespaces: scenarios.map(ns) });
  await controller.url();
});

afterAll(async () => {
  await Promise.all(traffic.map((t) => t.stop()));
  await controller?.kill();
  auth?.server.closeAllConnections();
  await new Promise<void>((resolve) => (auth ? auth.server.close(() => resolve()) : resolve()));
  for (const scenario of scenarios) {
    await kubectl(['delete', 'namespace', ns(scenario), '--wait=false']).catch(() => '');
  }
});

describe.concurrent("Flagger's Linkerd tutorial, converted, with MetricTemplates by reference", () => {
  it('promotes a healthy podinfo, its templates asked with the bearer token and tenant header', async () => {
    const namespace = ns('healthy');
    await givenTutorial(namespace);
    await newRevision(namespace);
    const done = await waitForStatus(
      namespace,
      'podinfo',
      'to be promoted',
      (s) => s.phase === 'Succeeded' || s.phase === 'Failed',
      [],
      { timeoutMs: 480_000 },
    );
    expect(done.phase, done.message).toBe('Succeeded');
    expect(done.conditions?.find((c) => c.type === 'MetricTemplates')).toMatchObject({
      status: 'True',
    });
    expect(auth.allowed).toBeGreaterThan(0);
    expect(auth.refused).toBe(0);
  });

  it('rolls back a podinfo whose canary answers /status/500, on the success-rate template', async () => {
    const namespace = ns('failing');
    await givenTutorial(namespace);
    await newRevision(namespace);
    // As the tutorial does from the loadtester: errors straight at the canary.
    traffic.push(startTraffic([`http://podinfo-canary.${namespace}:9898/status/500`], 10));
    const done = await waitForStatus(
      namespace,
      'podinfo',
      'to be rolled back',
      (s) => s.phase === 'Succeeded' || s.phase === 'Failed',
      [],
      { timeoutMs: 480_000 },
    );
    expect(done.phase, done.message).toBe('Failed');
    expect(done.message).toMatch(/success-rate/);
    const events = await kubectl(['-n', namespace, 'get', 'events', '-o', 'json']);
    expect(events).toMatch(/success-rate/);
  });
});
