import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../src/api/types.js';
import { type Playground, startPlayground } from '../../src/playground/playground.js';
import { waitFor } from '../support/wait.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { kubectl } from './support/kubectl.js';
import {
  backend,
  backendRolloutManifest,
  type ClusterName,
  other,
  type Scenario,
  serviceManifest,
} from './support/multicluster.js';
import { promQuery } from './support/prometheus.js';
import { appManifest, finished, waitForStatus, weightsSeen } from './support/rollout.js';
import { startTraffic, type Traffic } from './support/traffic.js';

/**
 * Backend mode across clusters on a two-cluster playground (east, west) linked by the
 * simulated Linkerd multicluster: Services labelled mirror.linkerd.io/exported=true in one
 * cluster appear in the other as `<svc>-<cluster>`, reached through the remote gateway. Each
 * scenario runs in its own namespace (present in both clusters) with its own traffic.
 */

const run = Date.now().toString(36);
const ns = (scenario: string) => `mc-${scenario}-${run}`;

const scenarios = {
  healthySmi: {
    name: 'ok-smi',
    caller: 'east',
    stable: 'local',
    canary: 'remote',
    provider: 'smi',
  },
  faultySmi: {
    name: 'bad-smi',
    caller: 'east',
    stable: 'local',
    canary: 'remote',
    provider: 'smi',
    threshold: 3,
  },
  healthyGw: {
    name: 'ok-gw',
    caller: 'east',
    stable: 'local',
    canary: 'remote',
    provider: 'gateway-api',
  },
  faultyGw: {
    name: 'bad-gw',
    caller: 'east',
    stable: 'local',
    canary: 'remote',
    provider: 'gateway-api',
    threshold: 3,
  },
  remoteStable: {
    name: 'rstable',
    caller: 'east',
    stable: 'remote',
    canary: 'local',
    provider: 'smi',
  },
  missing: { name: 'missing', caller: 'east', stable: 'local', canary: 'remote', provider: 'smi' },
  // The only scenario calling from west: cutting east's gateway touches no other scenario.
  // At weight 0 no caller here reaches the canary: only west's own Prometheus has its data.
  remotePrometheus: {
    name: 'rprom',
    caller: 'east',
    stable: 'local',
    canary: 'remote',
    provider: 'smi',
    remotePrometheus: true,
  },
  gatewayCut: {
    name: 'cut',
    caller: 'west',
    stable: 'local',
    canary: 'remote',
    provider: 'gateway-api',
    threshold: 2,
  },
} satisfies Record<string, Scenario>;

let playground: Playground;
const controllers: ControllerProcess[] = [];
const traffic: Traffic[] = [];

const cluster = (name: ClusterName) => {
  const found = playground.clusters.find((c) => c.name === name);
  if (!found) throw new Error(`the playground has no cluster ${name}`);
  return found;
};
const kubectlIn = (name: ClusterName, args: string[], input?: string) =>
  kubectl(args, { kubeconfigPath: cluster(name).kubeconfigPath, input });
const apply = (name: ClusterName, manifest: string) =>
  kubectlIn(name, ['apply', '-f', '-'], manifest);
/** Requests to `urls` from the mesh of cluster `where`, stopped after the tests. */
const trafficFrom = (where: ClusterName, urls: string[], rps: number, maxMs: number) => {
  const started = startTraffic(urls, rps, maxMs, cluster(where).meshProxy);
  traffic.push(started);
  return started;
};

beforeAll(async () => {
  playground = await startPlayground({
    name: `mc-${process.pid}`,
    clusters: ['east', 'west'],
    crossClusterLatencyMs: 5,
    logger: pino({ level: process.env.FLEDGE_E2E_LOG ?? 'warn' }),
  });
  for (const scenario of [...Object.values(scenarios).map((s) => s.name), 'sync']) {
    for (const name of ['east', 'west'] as const) {
      await kubectlIn(name, ['create', 'namespace', ns(scenario)]);
    }
  }
  for (const caller of ['east', 'west'] as const) {
    const watched = Object.values(scenarios).filter(
      (s: Scenario) => s.caller === caller && !s.remotePrometheus,
    );
    const controller = startController({
      namespaces: watched.map((s) => ns(s.name)),
      kubeconfig: cluster(caller).kubeconfigPath,
      meshProxy: cluster(caller).meshProxy,
      prometheusUrl: playground.prometheusUrl,
    });
    controllers.push(controller);
    await controller.url();
  }
  const measuringWest = startController({
    namespaces: [ns(scenarios.remotePrometheus.name)],
    kubeconfig: cluster('east').kubeconfigPath,
    meshProxy: cluster('east').meshProxy,
    // The playground has one Prometheus for both clusters; the remote queries read west's pods.
    prometheusUrl: playground.prometheusUrl,
    extraArgs: ['--cluster-prometheus', `west=${playground.prometheusUrl}`],
  });
  controllers.push(measuringWest);
  await measuringWest.url();
}, 600_000);

afterAll(async () => {
  await Promise.all(traffic.map((t) => t.stop()));
  await Promise.all(controllers.map((c) => c.kill()));
  if (playground) {
    await playground.stop();
    await rm(playground.stateDir, { recursive: true, force: true });
  }
});

/** A demo app and its Service, exported when another cluster's Rollout uses it. */
async function deployApp(
  where: ClusterName,
  namespace: string,
  name: string,
  exported: boolean,
  errorRate = 0,
) {
  await apply(where, appManifest({ name, namespace, errorRate }));
  await apply(where, serviceManifest(name, namespace, exported));
}

/** Read through the API, not kubectl: a kubectl process per poll would starve this 2-core machine. */
const waitForPhase = (
  s: Scenario,
  accept: (status: RolloutStatus) => boolean,
  what: string,
  seen: RolloutStatus[],
): Promise<RolloutStatus> =>
  waitForStatus(ns(s.name), 'podinfo', `in ${s.caller} ${what}`, accept, seen, {
    timeoutMs: 300_000,
    intervalMs: 300,
    kubeconfigPath: cluster(s.caller).kubeconfigPath,
  });

const backendCondition = (s: RolloutStatus) =>
  s.conditions?.find((c) => c.type === 'BackendUnavailable');
const serviceUrl = (service: string, namespace: string) => `http://${service}.${namespace}:8080/`;
/** How the caller's cluster names a backend: the mirror for a remote one. */
const calledAs = (service: string, remote: boolean, s: Scenario) =>
  remote ? `${service}-${other(s.caller)}` : service;

async function waitForService(where: ClusterName, namespace: string, name: string) {
  await waitFor(
    `Service ${namespace}/${name} in cluster ${where}`,
    async () =>
      (await kubectlIn(where, ['-n', namespace, 'get', 'service', name, '-o', 'name'])).trim(),
    { intervalMs: 500 },
  );
}

interface Deployed {
  scenario: Scenario;
  namespace: string;
  apex: string;
  canary: string;
  load: Traffic;
  statuses: RolloutStatus[];
}

/**
 * Given the stable backend, canaries v1 (current) and v2 (next) where the scenario puts them,
 * the apex Service and an Initialized Rollout in the calling cluster, with traffic from the
 * caller to the apex and to the v2 canary as its cluster names it.
 */
async function givenInitialized(
  s: Scenario,
  canaryErrorRate = 0,
  canaryCallers: 'here' | 'in its cluster' = 'here',
): Promise<Deployed> {
  const namespace = ns(s.name);
  const stableIn = s.stable === 'remote' ? other(s.caller) : s.caller;
  const canaryIn = s.canary === 'remote' ? other(s.caller) : s.caller;
  await deployApp(stableIn, namespace, 'podinfo-stable', s.stable === 'remote');
  await deployApp(canaryIn, namespace, 'podinfo-v1', s.canary === 'remote');
  await deployApp(canaryIn, namespace, 'podinfo-v2', s.canary === 'remote', canaryErrorRate);
  await apply(s.caller, serviceManifest('podinfo', namespace, false, false));
  const canary = calledAs('podinfo-v2', s.canary === 'remote', s);
  await waitForService(s.caller, namespace, canary);
  await apply(s.caller, backendRolloutManifest(s, namespace, 'podinfo-v1'));
  const statuses: RolloutStatus[] = [];
  await waitForPhase(s, (st) => st.phase === 'Initialized', 'to be Initialized', statuses);
  const apex = serviceUrl('podinfo', namespace);
  const canaryUrl = serviceUrl(canary, namespace);
  const callers = canaryCallers === 'here' ? [apex, canaryUrl] : [apex];
  const load = trafficFrom(s.caller, callers, 5, 600_000);
  if (canaryCallers === 'in its cluster') {
    trafficFrom(canaryIn, [serviceUrl('podinfo-v2', namespace)], 5, 600_000);
    // The analysis starts as soon as the test patches the canary: a first check before
    // Prometheus holds two samples of this new traffic would be "no data".
    await waitFor(
      "west's Prometheus to see a rate of podinfo-v2's inbound traffic",
      async () => ((await servedRate(canaryIn, namespace, 'podinfo-v2')) > 0 ? true : undefined),
      { intervalMs: 500 },
    );
  }
  return { scenario: s, namespace, apex, canary: canaryUrl, load, statuses };
}

/** When the canary backend changes to v2, a new revision: the analysis starts. */
async function whenCanaryIsV2(d: Deployed): Promise<void> {
  const s = d.scenario;
  const patch = { spec: { backends: { canary: backend('podinfo-v2', s.canary === 'remote', s) } } };
  await kubectlIn(s.caller, [
    '-n',
    d.namespace,
    'patch',
    'rollout/podinfo',
    '--type',
    'merge',
    '-p',
    JSON.stringify(patch),
  ]);
}

/** The weights the caller's routing object gives each backend, by the name the caller uses. */
async function routeWeights(d: Deployed): Promise<Record<string, number>> {
  const s = d.scenario;
  const kind =
    s.provider === 'smi'
      ? 'trafficsplits.split.smi-spec.io'
      : 'httproutes.gateway.networking.k8s.io';
  const object = JSON.parse(
    await kubectlIn(s.caller, ['-n', d.namespace, 'get', kind, 'podinfo', '-o', 'json']),
  ) as {
    spec: {
      backends?: Array<{ service: string; weight: number | string }>;
      rules?: Array<{ backendRefs: Array<{ name: string; weight: number }> }>;
    };
  };
  const pairs =
    s.provider === 'smi'
      ? (object.spec.backends ?? []).map((b) => [b.service, Number(b.weight)])
      : (object.spec.rules?.[0]?.backendRefs ?? []).map((b) => [b.name, b.weight]);
  return Object.fromEntries(pairs);
}

/** Instant value at the playground's Prometheus; 0 for an empty result, as for `or vector(0)`. */
const instant = async (query: string) => (await promQuery(query, playground.prometheusUrl)) ?? 0;

/** Responses a workload's pods served, counted by its own cluster's mesh (inbound). */
const servedIn = (where: ClusterName, namespace: string, deployment: string) =>
  instant(
    `sum(response_total{cluster="${where}",namespace="${namespace}",deployment="${deployment}",direction="inbound"}) or vector(0)`,
  );

/** The rate of responses a workload's pods served, as a 10 s analysis window sees it. */
const servedRate = (where: ClusterName, namespace: string, deployment: string) =>
  instant(
    `sum(rate(response_total{cluster="${where}",namespace="${namespace}",deployment="${deployment}",direction="inbound"}[10s]))`,
  );

/** Responses the caller's cluster saw from a destination Service (outbound, by dst_service). */
const seenBy = (where: ClusterName, namespace: string, service: string) =>
  instant(
    `sum(response_total{cluster="${where}",dst_namespace="${namespace}",dst_service="${service}",direction="outbound"}) or vector(0)`,
  );

async function expectPromotedToV2(d: Deployed): Promise<void> {
  const s = d.scenario;
  const done = await waitForPhase(s, finished, 'to finish', d.statuses);
  expect(done.phase, done.message).toBe('Succeeded');
  expect(weightsSeen(d.statuses).filter((w) => w > 0 && w < 100)).toEqual([10, 20, 30, 40, 50]);
  const canary = calledAs('podinfo-v2', s.canary === 'remote', s);
  const stable = calledAs('podinfo-stable', s.stable === 'remote', s);
  expect(await routeWeights(d)).toEqual({ [stable]: 0, [canary]: 100 });
}

async function expectRolledBack(d: Deployed, threshold: number): Promise<RolloutStatus> {
  const s = d.scenario;
  const done = await waitForPhase(s, finished, 'to finish', d.statuses);
  expect(done.phase, done.message).toBe('Failed');
  expect(done.failedChecks).toBeGreaterThanOrEqual(threshold);
  expect(done.canaryWeight).toBe(0);
  const canary = calledAs('podinfo-v2', s.canary === 'remote', s);
  const stable = calledAs('podinfo-stable', s.stable === 'remote', s);
  expect(await routeWeights(d)).toEqual({ [stable]: 100, [canary]: 0 });
  return done;
}

describe('the simulated Linkerd multicluster', () => {
  it('mirrors an exported Service as <svc>-<cluster>, follows its ports and removes it when unexported', async () => {
    const namespace = ns('sync');
    await apply('west', serviceManifest('api', namespace, true));
    await waitForService('east', namespace, 'api-west');
    const mirror = JSON.parse(
      await kubectlIn('east', ['-n', namespace, 'get', 'service', 'api-west', '-o', 'json']),
    ) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    expect(mirror.metadata.labels).toMatchObject({
      'mirror.linkerd.io/mirrored-service': 'true',
      'mirror.linkerd.io/cluster-name': 'west',
    });
    expect(mirror.metadata.annotations['mirror.linkerd.io/remote-svc-fq-name']).toBe(
      `api.${namespace}.svc.cluster.local`,
    );
    const links = await kubectlIn('east', [
      '-n',
      'linkerd-multicluster',
      'get',
      'links.multicluster.linkerd.io',
      'west',
      '-o',
      'jsonpath={.spec.targetClusterName}',
    ]);
    expect(links).toBe('west');

    await kubectlIn('west', [
      '-n',
      namespace,
      'patch',
      'service',
      'api',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { ports: [{ name: 'http', port: 9090, targetPort: 8080 }] } }),
    ]);
    await waitFor('the mirror to follow the new port', async () => {
      const port = await kubectlIn('east', [
        '-n',
        namespace,
        'get',
        'service',
        'api-west',
        '-o',
        'jsonpath={.spec.ports[0].port}',
      ]);
      return port === '9090' ? port : undefined;
    });

    await kubectlIn('west', [
      '-n',
      namespace,
      'label',
      'service',
      'api',
      'mirror.linkerd.io/exported-',
    ]);
    await waitFor('the mirror to go', async () => {
      const left = await kubectlIn('east', [
        '-n',
        namespace,
        'get',
        'service,endpointslices',
        '-o',
        'name',
      ]);
      return left.includes('api-west') ? undefined : true;
    });
  });

  it('carries a caller’s request through the remote gateway to the remote pods, counted on both sides', async () => {
    const namespace = ns('sync');
    await deployApp('west', namespace, 'web', true);
    await waitForService('east', namespace, 'web-west');
    const load = trafficFrom('east', [serviceUrl('web-west', namespace)], 10, 30_000);
    await waitFor('traffic counted in both clusters', async () => {
      const outbound = await seenBy('east', namespace, 'web-west');
      const inbound = await servedIn('west', namespace, 'web');
      return outbound > 0 && inbound > 0 ? true : undefined;
    });
    await load.stop();
    const counts = load.counts(serviceUrl('web-west', namespace));
    expect(counts.failed, JSON.stringify(counts)).toBe(0);
  });
});

describe.concurrent('cross-cluster canaries', () => {
  it('promotes a healthy remote canary to 100% (smi)', async () => {
    const d = await givenInitialized(scenarios.healthySmi);
    await whenCanaryIsV2(d);
    await expectPromotedToV2(d);
    expect(await servedIn('west', d.namespace, 'podinfo-v2')).toBeGreaterThan(0);
    expect(d.load.counts(d.apex).failed).toBe(0);
  });

  it('promotes a healthy remote canary to 100% (gateway-api)', async () => {
    const d = await givenInitialized(scenarios.healthyGw);
    await whenCanaryIsV2(d);
    await expectPromotedToV2(d);
    expect(d.load.counts(d.apex).failed).toBe(0);
  });

  it('rolls back a faulty remote canary (smi)', async () => {
    const d = await givenInitialized(scenarios.faultySmi, 0.3);
    await whenCanaryIsV2(d);
    await expectRolledBack(d, 3);
  });

  it('rolls back a faulty remote canary (gateway-api)', async () => {
    const d = await givenInitialized(scenarios.faultyGw, 0.3);
    await whenCanaryIsV2(d);
    await expectRolledBack(d, 3);
  });

  it('promotes a local canary over a remote stable backend', async () => {
    const d = await givenInitialized(scenarios.remoteStable);
    await whenCanaryIsV2(d);
    await expectPromotedToV2(d);
    await waitFor('the remote stable to have served the apex', async () =>
      (await servedIn('west', d.namespace, 'podinfo-stable')) > 0 ? true : undefined,
    );
  });

  it('measures a remote canary inbound with its cluster’s Prometheus (--cluster-prometheus)', async () => {
    const d = await givenInitialized(scenarios.remotePrometheus, 0, 'in its cluster');
    await whenCanaryIsV2(d);
    await expectPromotedToV2(d);
    // East's Prometheus has no data of the canary: a check that read it would say so.
    const failedChecks = await kubectlIn('east', [
      '-n',
      d.namespace,
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=podinfo,reason=FailedCheck',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(failedChecks).not.toMatch(/no data/);
  });

  it('rolls back when the remote gateway is cut mid-analysis', async () => {
    const d = await givenInitialized(scenarios.gatewayCut);
    await whenCanaryIsV2(d);
    await waitForPhase(
      d.scenario,
      (st) => (st.canaryWeight ?? 0) >= 10 || finished(st),
      'to reach weight 10',
      d.statuses,
    );
    playground.multicluster?.gateway('east').cut();
    try {
      const done = await expectRolledBack(d, 2);
      expect(weightsSeen(d.statuses)).not.toContain(100);
      expect(done.phase).toBe('Failed');
      expect(d.load.counts(d.canary).byStatus[502]).toBeGreaterThan(0);
    } finally {
      playground.multicluster?.gateway('east').restore();
    }
  });

  it('reports a canary whose mirror is missing as BackendUnavailable, then proceeds once exported', async () => {
    const s = scenarios.missing;
    const d = await givenInitialized(s);
    const namespace = d.namespace;
    await apply('west', appManifest({ name: 'podinfo-v3', namespace }));
    await apply('west', serviceManifest('podinfo-v3', namespace, false));
    const patch = { spec: { backends: { canary: { service: 'podinfo-v3', cluster: 'west' } } } };
    await kubectlIn('east', [
      '-n',
      namespace,
      'patch',
      'rollout/podinfo',
      '--type',
      'merge',
      '-p',
      JSON.stringify(patch),
    ]);
    await waitFor(
      'a BackendUnavailable Event naming the mirror',
      async () => {
        const events = await kubectlIn('east', [
          '-n',
          namespace,
          'get',
          'events',
          '--field-selector',
          'reason=BackendUnavailable',
          '-o',
          'jsonpath={.items[*].message}',
        ]);
        return events.includes(`${namespace}/podinfo-v3-west`) ? events : undefined;
      },
      { intervalMs: 1000 },
    );
    const waiting = await waitForPhase(
      s,
      (st) => backendCondition(st)?.status === 'True',
      'to report the missing mirror',
      d.statuses,
    );
    expect(waiting.canaryWeight ?? 0).toBe(0);
    expect(backendCondition(waiting)?.message).toContain(`${namespace}/podinfo-v3-west`);
    await kubectlIn('west', [
      '-n',
      namespace,
      'label',
      'service',
      'podinfo-v3',
      'mirror.linkerd.io/exported=true',
    ]);
    await waitForService('east', namespace, 'podinfo-v3-west');
    trafficFrom('east', [serviceUrl('podinfo-v3-west', namespace)], 10, 60_000);
    const done = await waitForPhase(s, finished, 'to finish', d.statuses);
    expect(done.phase, done.message).toBe('Succeeded');
    expect(backendCondition(done)?.status).toBe('False');
  });
});
