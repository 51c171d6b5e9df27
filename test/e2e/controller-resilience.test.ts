import net from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RolloutStatus } from '../../src/api/types.js';
import { waitFor } from '../support/wait.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import {
  appManifest,
  createNamespace,
  finished,
  type RolloutOptions,
  rolloutManifest,
  rolloutStatus,
  waitForStatus,
  waitInitialized,
  weightsSeen,
} from './support/rollout.js';
import { startTraffic, type Traffic } from './support/traffic.js';

/**
 * What must survive the controller's own failures: a SIGKILL mid-analysis, a leader that
 * dies, a Prometheus that stops answering.
 */

const run = Date.now().toString(36);
const controllers: ControllerProcess[] = [];
const traffic: Traffic[] = [];

afterAll(async () => {
  await Promise.all(traffic.map((t) => t.stop()));
  await Promise.all(controllers.map((c) => c.kill('SIGKILL')));
});

function controller(...args: Parameters<typeof startController>): ControllerProcess {
  const started = startController(...args);
  controllers.push(started);
  return started;
}

async function deploy(namespace: string, rollout: Partial<RolloutOptions> = {}): Promise<void> {
  await createNamespace(namespace);
  await kubectlApply(appManifest({ name: 'podinfo', namespace }));
  await kubectlApply(rolloutManifest({ name: 'podinfo', namespace, ...rollout }));
  traffic.push(
    startTraffic(
      [`http://podinfo.${namespace}:8080/`, `http://podinfo-canary.${namespace}:8080/`],
      10,
    ),
  );
}

const initialized = (namespace: string) => waitInitialized(namespace, 'podinfo');

const toFinish = (namespace: string, seen: RolloutStatus[] = []) =>
  waitForStatus(namespace, 'podinfo', 'to finish', finished, seen);

const newImage = (namespace: string) =>
  kubectl(['-n', namespace, 'set', 'image', 'deployment/podinfo', 'app=fledge/demo:2.0.0']);

const faultyEnv = (namespace: string) =>
  kubectl(['-n', namespace, 'set', 'env', 'deployment/podinfo', 'ERROR_RATE=0.3']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP relay to Prometheus that the test can cut, as if Prometheus had stopped. */
async function prometheusRelay(): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const target = new URL(inject('FLEDGE_PROMETHEUS_URL'));
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.concurrent('fledge controller resilience', () => {
  it('resumes at the same weight and failed-check count after a SIGKILL, with the same outcomes', async () => {
    const healthy = `kill-healthy-${run}`;
    const faulty = `kill-faulty-${run}`;
    await deploy(healthy, { stepWeight: 10, maxWeight: 50 });
    await deploy(faulty, { threshold: 5 });
    let first = controller({ namespaces: [healthy, faulty] });
    await Promise.all([initialized(healthy), initialized(faulty)]);
    await Promise.all([newImage(healthy), faultyEnv(faulty)]);
    await Promise.all([
      waitForStatus(healthy, 'podinfo', 'to reach weight 20', (s) => (s.canaryWeight ?? 0) >= 20),
      waitForStatus(faulty, 'podinfo', 'to fail a check', (s) => (s.failedChecks ?? 0) >= 1),
    ]);
    await first.kill('SIGKILL');
    const atKill = {
      healthy: await rolloutStatus(healthy, 'podinfo'),
      faulty: await rolloutStatus(faulty, 'podinfo'),
    };
    expect(atKill.faulty.failedChecks).toBeLessThan(5);
    await sleep(3000);
    expect((await rolloutStatus(healthy, 'podinfo')).canaryWeight).toBe(
      atKill.healthy.canaryWeight,
    );

    first = controller({ namespaces: [healthy, faulty] });
    const healthySeen: RolloutStatus[] = [];
    const faultySeen: RolloutStatus[] = [];
    const [healthyEnd, faultyEnd] = await Promise.all([
      toFinish(healthy, healthySeen),
      toFinish(faulty, faultySeen),
    ]);
    expect(healthyEnd.phase, healthyEnd.message).toBe('Succeeded');
    const after = weightsSeen(healthySeen);
    expect(after[0]).toBeGreaterThanOrEqual(atKill.healthy.canaryWeight ?? 0);
    expect(after.filter((w) => w > 0)).toEqual(
      [...after.filter((w) => w > 0)].sort((a, b) => a - b),
    );
    expect(faultyEnd.phase).toBe('Failed');
    expect(faultyEnd.failedChecks).toBe(5);
    const checksAfter = faultySeen.map((s) => s.failedChecks ?? 0).filter((n) => n > 0);
    expect(Math.min(...checksAfter)).toBeGreaterThanOrEqual(atKill.faulty.failedChecks ?? 0);
  });

  it('keeps callers served when garbage collection finds the Rollout gone and the controller never released it', async () => {
    // Given a Rollout initialized by a controller that then dies, callers on the apex Service
    const namespace = `gc-${run}`;
    await createNamespace(namespace);
    await kubectlApply(appManifest({ name: 'podinfo', namespace }));
    await kubectlApply(rolloutManifest({ name: 'podinfo', namespace }));
    const apex = `http://podinfo.${namespace}:8080/`;
    const callers = startTraffic([apex], 10);
    traffic.push(callers);
    const first = controller({ namespaces: [namespace] });
    await initialized(namespace);
    await first.kill('SIGKILL');
    const before = callers.counts(apex);

    // When the Rollout goes without its finalizer: garbage collection concludes it is absent, as
    // it does when a kube-apiserver still starting answers 404 (kubernetes/kubernetes#104342)
    await kubectl([
      '-n',
      namespace,
      'patch',
      'rollout/podinfo',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await kubectl(['-n', namespace, 'delete', 'rollout/podinfo', '--wait=true']);
    const exists = (kind: string, name: string) =>
      kubectl(['-n', namespace, 'get', kind, name, '--ignore-not-found', '-o', 'name']);
    await waitFor('garbage collection to remove what the Rollout owned', async () =>
      (await exists('trafficsplit', 'podinfo')) === '' ? true : undefined,
    );

    // Then what callers need stays, and they are served throughout
    expect(await exists('deployment', 'podinfo-primary')).toContain('podinfo-primary');
    for (const service of ['podinfo', 'podinfo-primary', 'podinfo-canary']) {
      expect(await exists('service', service)).toContain(service);
    }
    await waitFor('more requests to the apex after the deletion', async () =>
      callers.counts(apex).total >= before.total + 50 ? true : undefined,
    );
    const after = callers.counts(apex);
    expect(after.failed - before.failed, JSON.stringify(after.byStatus)).toBe(0);
  });

  it('lets only the leader act, and hands over within the lease time when it dies', async () => {
    const namespace = `leader-${run}`;
    await deploy(namespace, { stepWeight: 10, maxWeight: 50 });
    const leaseName = `fledge-e2e-${run}`;
    const a = controller({
      namespaces: [namespace],
      leaderElect: true,
      leaseName,
      leaseDuration: '3s',
    });
    await a.url();
    const b = controller({
      namespaces: [namespace],
      leaderElect: true,
      leaseName,
      leaseDuration: '3s',
    });
    await b.url();
    await initialized(namespace);
    await newImage(namespace);
    await waitForStatus(
      namespace,
      'podinfo',
      'to shift traffic',
      (s) => (s.canaryWeight ?? 0) >= 10,
    );
    const leads = (c: ControllerProcess) =>
      c.logs().some((l) => l.msg === 'leading: running the rollouts');
    const acts = (c: ControllerProcess) => c.logs().some((l) => typeof l.decision === 'object');
    expect([leads(a), leads(b)].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = leads(a) ? [a, b] : [b, a];
    expect(acts(leader)).toBe(true);
    expect(acts(follower)).toBe(false);
    await leader.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor('the follower to lead', async () => (leads(follower) ? true : undefined), {
      intervalMs: 50,
    });
    const handover = Date.now() - killedAt;
    console.log(`e2e figure: leader hand-over after SIGKILL with a 3 s lease: ${handover} ms`);
    const end = await toFinish(namespace);
    expect(end.phase, end.message).toBe('Succeeded');

    const next = controller({
      namespaces: [namespace],
      leaderElect: true,
      leaseName,
      leaseDuration: '3s',
    });
    await next.url();
    const holder = () =>
      kubectl([
        '-n',
        'default',
        'get',
        'lease',
        leaseName,
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]);
    const leaderBefore = await holder();
    await follower.kill('SIGTERM');
    const stoppedAt = Date.now();
    // How soon the next one leads is a figure; that the leader let go of its Lease on the way
    // out, rather than leave it to expire, is what is checked.
    expect(await holder()).not.toBe(leaderBefore);
    expect(
      follower.logs().filter((l) => /(could|did) not release the leader Lease/.test(String(l.msg))),
    ).toEqual([]);
    await waitFor(
      'the new replica to lead after a SIGTERM',
      async () => (leads(next) ? true : undefined),
      { intervalMs: 50 },
    );
    const graceful = Date.now() - stoppedAt;
    console.log(`e2e figure: leader hand-over after SIGTERM (Lease released): ${graceful} ms`);
  });

  it('counts failed checks and never promotes while Prometheus is down', async () => {
    const namespace = `noprom-${run}`;
    await deploy(namespace, { stepWeight: 10, maxWeight: 50, threshold: 3 });
    const relay = await prometheusRelay();
    try {
      controller({ namespaces: [namespace], prometheusUrl: relay.url });
      await initialized(namespace);
      await newImage(namespace);
      await waitForStatus(
        namespace,
        'podinfo',
        'to shift traffic',
        (s) => (s.canaryWeight ?? 0) >= 10,
      );
      relay.cut();
      const seen: RolloutStatus[] = [];
      const end = await toFinish(namespace, seen);
      expect(end.phase).toBe('Failed');
      expect(end.failedChecks).toBe(3);
      expect(seen.some((s) => s.phase === 'Promoting' || s.phase === 'Succeeded')).toBe(false);
      expect(JSON.stringify(end.lastAnalysis)).toMatch(/Prometheus at/);
    } finally {
      await relay.close();
    }
  });
});
