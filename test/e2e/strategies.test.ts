import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RolloutStatus } from '../../src/api/types.js';
import { waitFor } from '../support/wait.js';
import {
  isPrimaryPod,
  steadyGrpcLoad,
  steadyLoad,
  throughMesh,
  whoAnswers,
} from './support/answers.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import {
  annotate,
  appManifest,
  finished,
  waitForStatus,
  waitInitialized,
} from './support/rollout.js';
import { controllerSuite } from './support/suite.js';

/**
 * The traffic strategies on the playground (docs/strategies.md), each healthy and faulty,
 * checked through the mesh proxy (which pod answered) and the Rollout's status: A/B testing,
 * blue/green, session affinity, a GRPCRoute canary, and a route the user owns kept through a
 * whole release and a drift correction.
 */

const suite = controllerSuite('st', [
  'ab-healthy',
  'ab-faulty',
  'bg-healthy',
  'bg-faulty',
  'sticky-healthy',
  'sticky-faulty',
  'grpc-healthy',
  'grpc-faulty',
  'owned',
]);
const ns = suite.ns;
const name = 'podinfo';

const metrics = [
  { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '10s' },
  { name: 'request-duration', thresholdRange: { max: 500 }, interval: '10s' },
];

/**
 * A healthy canary may meet a few failed checks on a busy machine (a p99 over 500 ms when
 * both cores are taken) without being rolled back; the faulty ones fail fast, at `failFast`.
 */
const healthyThreshold = 10;
const failFast = { threshold: 2 };

function rollout(
  namespace: string,
  spec: Record<string, unknown>,
  analysis: Record<string, unknown>,
) {
  return stringify({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 8080, targetPort: 8080 },
      progressDeadlineSeconds: 60,
      ...spec,
      analysis: { interval: '3s', threshold: healthyThreshold, metrics, ...analysis },
    },
  });
}

async function given(
  scenario: string,
  spec: Record<string, unknown>,
  analysis: Record<string, unknown>,
) {
  const namespace = ns(scenario);
  await kubectlApply(appManifest({ name, namespace }));
  await kubectlApply(rollout(namespace, spec, analysis));
  await waitInitialized(namespace, name);
  return {
    namespace,
    apex: `http://${name}.${namespace}:8080/`,
    canary: `http://${name}-canary.${namespace}:8080/`,
    statuses: [] as RolloutStatus[],
  };
}

type Given = Awaited<ReturnType<typeof given>>;

const load = <T extends { stop(): Promise<void> }>(started: T): T => {
  suite.stopAfterAll(() => started.stop());
  return started;
};

const setImage = (d: Given, image: string) =>
  kubectl(['-n', d.namespace, 'set', 'image', `deployment/${name}`, `app=${image}`]);
const setEnv = (d: Given, assignment: string) =>
  kubectl(['-n', d.namespace, 'set', 'env', `deployment/${name}`, assignment]);

const analysing = (s: RolloutStatus) => s.phase === 'Progressing' && (s.iterations ?? 0) >= 1;

async function expectPromoted(d: Given) {
  const done = await waitForStatus(d.namespace, name, 'to succeed', finished, d.statuses, {
    timeoutMs: 150_000,
  });
  expect(done.phase, done.message).toBe('Succeeded');
  return done;
}

async function expectRolledBack(d: Given) {
  const done = await waitForStatus(d.namespace, name, 'to fail', finished, d.statuses, {
    timeoutMs: 150_000,
  });
  expect(done.phase, done.message).toBe('Failed');
  expect(done.canaryWeight).toBe(0);
  return done;
}

const canaryShare = (answers: Array<{ pod?: string }>) =>
  answers.filter((answer) => answer.pod && !isPrimaryPod(answer.pod)).length / answers.length;

const abAnalysis = {
  iterations: 6,
  match: [{ headers: { 'x-canary': { exact: 'insider' } } }],
};

describe.concurrent('traffic strategies on the playground', () => {
  it('A/B testing: all matching requests and no others reach the canary, then it is promoted', async () => {
    const d = await given('ab-healthy', { routing: { provider: 'gateway-api' } }, abAnalysis);
    const insiders = load(steadyLoad(d.apex, { headers: { 'x-canary': 'insider' } }));
    load(steadyLoad(d.apex));
    await setImage(d, 'fledge/demo:2.0.0');
    await waitForStatus(d.namespace, name, 'to analyse', analysing, d.statuses);
    const matching = await whoAnswers(d.apex, 40, { 'x-canary': 'insider' });
    const others = await whoAnswers(d.apex, 40, { 'x-canary': 'outsider' });
    console.log(
      `e2e figure: A/B canary share through the mesh: matching ${canaryShare(matching) * 100}%, others ${canaryShare(others) * 100}% (40 requests each)`,
    );
    expect(canaryShare(matching)).toBe(1);
    expect(canaryShare(others)).toBe(0);
    const done = await expectPromoted(d);
    expect(done.iterations).toBe(6);
    expect(d.statuses.every((s) => (s.canaryWeight ?? 0) === 0)).toBe(true);
    expect(insiders.counts().canary).toBeGreaterThan(0);
    // Promoted, unpinned: the test header no longer picks the (now idle) canary.
    expect(canaryShare(await whoAnswers(d.apex, 10, { 'x-canary': 'insider' }))).toBe(0);
  });

  it('A/B testing: a canary failing the matching requests is rolled back; others never see it', async () => {
    const d = await given(
      'ab-faulty',
      { routing: { provider: 'gateway-api' } },
      {
        ...abAnalysis,
        ...failFast,
      },
    );
    load(steadyLoad(d.apex, { headers: { 'x-canary': 'insider' } }));
    const others = load(steadyLoad(d.apex));
    await setEnv(d, 'ERROR_RATE=0.5');
    await expectRolledBack(d);
    expect(others.counts().canary).toBe(0);
    expect(others.counts().failed).toBe(0);
  });

  it('blue/green: no apex traffic reaches the canary before the switch, all of it after', async () => {
    const d = await given(
      'bg-healthy',
      { routing: { provider: 'gateway-api' }, promotion: 'manual' },
      { iterations: 3 },
    );
    load(steadyLoad(d.canary));
    await setImage(d, 'fledge/demo:2.0.0');
    await waitForStatus(d.namespace, name, 'to analyse at weight 0', analysing, d.statuses);
    const before = await whoAnswers(d.apex, 30);
    await waitForStatus(
      d.namespace,
      name,
      'to switch and wait for promotion',
      (s) => s.phase === 'WaitingPromotion',
      d.statuses,
    );
    const after = await whoAnswers(d.apex, 30);
    console.log(
      `e2e figure: blue/green canary share of apex requests: before the switch ${canaryShare(before) * 100}%, after ${canaryShare(after) * 100}% (30 requests each)`,
    );
    expect(canaryShare(before)).toBe(0);
    expect(canaryShare(after)).toBe(1);
    expect(d.statuses.map((s) => s.canaryWeight).filter((w) => w !== 0 && w !== 100)).toEqual([]);
    await annotate(d.namespace, name, 'fledge.dev/promote=true');
    const done = await expectPromoted(d);
    expect(done.canaryWeight).toBe(0);
  });

  it('blue/green: a canary failing its test traffic is rolled back before any switch', async () => {
    const d = await given(
      'bg-faulty',
      { routing: { provider: 'smi' } },
      { iterations: 3, ...failFast },
    );
    load(steadyLoad(d.canary));
    const apex = load(steadyLoad(d.apex));
    await setEnv(d, 'ERROR_RATE=0.5');
    await expectRolledBack(d);
    expect(d.statuses.some((s) => s.canaryWeight === 100)).toBe(false);
    expect(apex.counts().canary).toBe(0);
  });

  it('session affinity: a client that got the cookie stays on the canary, which expires it at the end', async () => {
    const d = await given(
      'sticky-healthy',
      { routing: { provider: 'gateway-api' }, promotion: 'manual' },
      {
        stepWeight: 20,
        maxWeight: 40,
        sessionAffinity: { cookieName: 'canary-session', maxAge: 600 },
      },
    );
    load(steadyLoad(d.apex));
    await setImage(d, 'fledge/demo:2.0.0');
    await waitForStatus(
      d.namespace,
      name,
      'to wait for promotion at 40%, pinning',
      (s) => s.phase === 'WaitingPromotion',
      d.statuses,
    );
    const cookie = await waitFor('a canary answer that sets the cookie', async () => {
      const answer = await throughMesh(d.apex);
      return !isPrimaryPod(answer.pod) ? answer.setCookie : undefined;
    });
    expect(cookie).toMatch(/^canary-session=[0-9a-f]{16}; Max-Age=600; Path=\/$/);
    const pair = String(cookie).split(';')[0] as string;
    const pinned = await whoAnswers(d.apex, 30, { cookie: `theme=dark; ${pair}` });
    console.log(
      `e2e figure: affinity: ${canaryShare(pinned) * 100}% of 30 requests with the cookie on the canary`,
    );
    expect(canaryShare(pinned)).toBe(1);
    await annotate(d.namespace, name, 'fledge.dev/promote=true');
    await expectPromoted(d);
    const expired = await throughMesh(d.apex, { cookie: pair });
    expect(isPrimaryPod(expired.pod)).toBe(true);
    expect(expired.setCookie).toBe(`${pair}; Max-Age=0; Path=/`);
  });

  it('session affinity: a faulty canary is rolled back and pins nobody any more', async () => {
    const d = await given(
      'sticky-faulty',
      { routing: { provider: 'gateway-api' } },
      {
        stepWeight: 20,
        maxWeight: 40,
        sessionAffinity: { cookieName: 'canary-session' },
        ...failFast,
      },
    );
    load(steadyLoad(d.apex));
    await setEnv(d, 'ERROR_RATE=0.5');
    await expectRolledBack(d);
    const route = JSON.parse(
      await kubectl(['-n', d.namespace, 'get', 'httproute', name, '-o', 'json']),
    );
    expect(JSON.stringify(route.spec)).not.toMatch(/Max-Age=86400/);
  });

  it('GRPCRoute: a healthy gRPC canary is promoted', async () => {
    const d = await given(
      'grpc-healthy',
      { routing: { provider: 'gateway-api', kind: 'GRPCRoute' } },
      { stepWeight: 25, maxWeight: 50 },
    );
    const apex = load(steadyGrpcLoad(`${name}.${d.namespace}:8080`));
    load(steadyGrpcLoad(`${name}-canary.${d.namespace}:8080`));
    await setImage(d, 'fledge/demo:2.0.0');
    await expectPromoted(d);
    expect(d.statuses.some((s) => s.canaryWeight === 50)).toBe(true);
    expect(Object.keys(apex.counts())).toEqual(['0']);
    const route = await kubectl([
      '-n',
      d.namespace,
      'get',
      'grpcroute',
      name,
      '-o',
      'jsonpath={.spec.rules[0].backendRefs[1].weight}',
    ]);
    expect(route).toBe('0');
  });

  it('GRPCRoute: a canary answering UNAVAILABLE is rolled back on the gRPC success rate', async () => {
    const d = await given(
      'grpc-faulty',
      { routing: { provider: 'gateway-api', kind: 'GRPCRoute' } },
      { stepWeight: 25, maxWeight: 50, ...failFast },
    );
    load(steadyGrpcLoad(`${name}.${d.namespace}:8080`));
    load(steadyGrpcLoad(`${name}-canary.${d.namespace}:8080`));
    await setEnv(d, 'ERROR_RATE=0.5');
    const done = await expectRolledBack(d);
    expect(done.message).toMatch(/request-success-rate/);
  });

  it("keeps a user's extra rule, header modifier and timeout through a release and a drift correction", async () => {
    const namespace = ns('owned');
    await kubectlApply(appManifest({ name: 'legacy', namespace, image: 'fledge/legacy:1.0.0' }));
    await kubectlApply(
      stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'legacy', namespace },
        spec: { selector: { app: 'legacy' }, ports: [{ port: 8080, targetPort: 8080 }] },
      }),
    );
    const extraRule = {
      matches: [{ path: { type: 'PathPrefix', value: '/legacy' } }],
      backendRefs: [{ name: 'legacy', port: 8080 }],
    };
    const modifier = {
      type: 'RequestHeaderModifier',
      requestHeaderModifier: { set: [{ name: 'x-team', value: 'payments' }] },
    };
    const usersRules = [
      extraRule,
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        filters: [modifier],
        timeouts: { request: '10s' },
        backendRefs: [{ name, port: 8080 }],
      },
    ];
    await kubectlApply(
      stringify({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name, namespace },
        spec: {
          parentRefs: [{ group: 'core', kind: 'Service', name, port: 8080 }],
          rules: usersRules,
        },
      }),
    );
    const d = await given(
      'owned',
      { routing: { provider: 'gateway-api' } },
      { stepWeight: 20, maxWeight: 40 },
    );
    load(steadyLoad(d.apex));
    load(steadyLoad(d.canary));
    const expectUsersParts = async (when: string) => {
      const route = JSON.parse(
        await kubectl(['-n', namespace, 'get', 'httproute', name, '-o', 'json']),
      );
      const rules = route.spec.rules as Array<Record<string, unknown>>;
      expect(rules[0], when).toMatchObject(extraRule);
      expect(rules[1]?.filters, when).toEqual([modifier]);
      expect(rules[1]?.timeouts, when).toEqual({ request: '10s' });
      const [legacy] = await whoAnswers(`${d.apex}legacy/x`, 1);
      expect(legacy?.pod, when).toMatch(/^legacy-/);
      const [main] = await whoAnswers(d.apex, 1);
      expect(main?.headers['x-team'], when).toBe('payments');
    };
    await expectUsersParts('initialized');

    await setImage(d, 'fledge/demo:2.0.0');
    await waitForStatus(
      d.namespace,
      name,
      'to route 20%',
      (s) => s.canaryWeight === 20 && s.phase === 'Progressing',
      d.statuses,
    );
    // A GitOps tool puts the user's version back: weights and all.
    await kubectl([
      '-n',
      namespace,
      'patch',
      'httproute',
      name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { rules: usersRules } }),
    ]);
    const events = await waitFor('the RoutingDrift event', async () => {
      const listed = await kubectl([
        '-n',
        namespace,
        'get',
        'events',
        '--field-selector',
        'reason=RoutingDrift',
        '-o',
        'name',
      ]);
      return listed.trim() ? listed : undefined;
    });
    expect(events).toContain('event');
    await waitFor('the weights to be set back', async () => {
      const weight = await kubectl([
        '-n',
        namespace,
        'get',
        'httproute',
        name,
        '-o',
        'jsonpath={.spec.rules[1].backendRefs[1].weight}',
      ]);
      return Number(weight) > 0 ? weight : undefined;
    });
    await expectUsersParts('after the drift correction');

    await expectPromoted(d);
    await expectUsersParts('after the release');
  });
});
