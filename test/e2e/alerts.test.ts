import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { close, type Received, startReceiver } from '../support/receiver.js';
import { waitFor } from '../support/wait.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import { appManifest, rolloutManifest, waitForStatus, waitInitialized } from './support/rollout.js';
import { controllerSuite } from './support/suite.js';

/**
 * Alerts end to end: AlertProviders in the cluster, the controller as a process, and a real
 * receiver on 127.0.0.1 that stands for Slack and for a generic webhook. Told of a rollback
 * after failed checks, and of a failure outside the analysis (a lost target). Each scenario
 * has its own namespace and receiver paths, so the two run side by side.
 */

const scenarios = ['rollback', 'lost'];
const name = 'podinfo';
let receiver: Awaited<ReturnType<typeof startReceiver>>;

const suite = controllerSuite('alerts', scenarios, {
  async before() {
    const ok = (_req: Received, res: import('node:http').ServerResponse) =>
      res.writeHead(200).end();
    receiver = await startReceiver(
      Object.fromEntries(
        scenarios.flatMap((s) => [
          [`/slack/${suite.ns(s)}`, ok],
          [`/ops/${suite.ns(s)}`, ok],
        ]),
      ),
    );
    suite.stopAfterAll(() => close(receiver.server));
  },
});
const ns = suite.ns;

/** Given AlertProviders that post to the receiver: `chat` (slack) and `ops` (generic, through a Secret). */
async function givenProviders(namespace: string): Promise<void> {
  const provider = (providerName: string, spec: Record<string, unknown>) => ({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'AlertProvider',
    metadata: { name: providerName, namespace },
    spec,
  });
  await kubectlApply(
    [
      provider('chat', {
        type: 'slack',
        address: `${receiver.base}/slack/${namespace}`,
        channel: 'releases',
      }),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'ops-hook', namespace },
        stringData: { address: `${receiver.base}/ops/${namespace}` },
      },
      provider('ops', { type: 'generic', secretRef: { name: 'ops-hook' } }),
    ]
      .map((document) => stringify(document))
      .join('---\n'),
  );
}

/** What the receiver got at a path, as parsed JSON bodies. */
const bodiesAt = (path: string) =>
  receiver.received
    .filter((entry) => entry.url === path)
    .map((entry) => entry.body as Record<string, unknown>);

async function givenInitialized(namespace: string, rollout: Parameters<typeof rolloutManifest>[0]) {
  await kubectlApply(appManifest({ name, namespace }));
  await kubectlApply(rolloutManifest(rollout));
  await waitInitialized(namespace, name);
  suite.traffic([`http://${name}.${namespace}:8080/`], 20);
}

describe.concurrent('alerts', () => {
  it('tell Slack of a rollback at error, and the team of every step at info', async () => {
    const namespace = ns('rollback');
    await givenProviders(namespace);
    await givenInitialized(namespace, {
      name,
      namespace,
      threshold: 2,
      alerts: [
        { name: 'on-call', severity: 'error', providerRef: { name: 'chat' } },
        { name: 'team', severity: 'info', providerRef: { name: 'ops', namespace } },
      ],
    });
    await kubectl(['-n', namespace, 'set', 'env', `deployment/${name}`, 'ERROR_RATE=0.5']);
    const failed = await waitForStatus(
      namespace,
      name,
      'to roll back',
      (s) => s.phase === 'Failed',
    );
    expect(failed.conditions?.find((c) => c.type === 'Alerting')).toMatchObject({
      status: 'True',
      reason: 'ProvidersReady',
    });

    const slack = await waitFor('the rollback in Slack’s format', async () => {
      const bodies = bodiesAt(`/slack/${namespace}`);
      return bodies.length > 0 ? bodies : undefined;
    });
    expect(slack).toHaveLength(1);
    expect(slack[0]).toMatchObject({
      channel: 'releases',
      username: 'fledge',
      attachments: [{ color: 'danger' }],
    });
    expect(String(slack[0]?.text)).toContain(`${name}.${namespace}: rolled back revision`);
    expect(String(slack[0]?.text)).toContain('failed checks reached the threshold');

    const reasons = await waitFor('the team’s messages up to the rollback', async () => {
      const seen = bodiesAt(`/ops/${namespace}`).map((body) => body.reason);
      return seen.includes('ThresholdReached') ? seen : undefined;
    });
    expect(reasons).toEqual([
      'Initialized',
      'Waiting',
      'FailedCheck',
      'FailedCheck',
      'ThresholdReached',
    ]);
    expect(bodiesAt(`/ops/${namespace}`).at(-1)).toMatchObject({
      source: 'fledge',
      name,
      namespace,
      severity: 'error',
      phase: 'Failed',
      canaryWeight: 0,
      failedChecks: 2,
      target: `Deployment/${name}`,
    });
  });

  it('tell of a lost target, and say in a condition and an Event which provider is missing', async () => {
    const namespace = ns('lost');
    await givenProviders(namespace);
    await givenInitialized(namespace, {
      name,
      namespace,
      interval: '4s',
      stepWeight: 30,
      maxWeight: 30,
      promotion: 'manual',
      threshold: 5,
      alerts: [
        { name: 'on-call', severity: 'error', providerRef: { name: 'ops' } },
        { name: 'gone', severity: 'error', providerRef: { name: 'absent' } },
      ],
    });
    await kubectl(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);
    await waitForStatus(
      namespace,
      name,
      'to hold at weight 30',
      (s) => s.phase === 'WaitingPromotion',
    );
    await kubectl(['-n', namespace, 'delete', `deployment/${name}`, '--wait=false']);
    const lost = await waitForStatus(namespace, name, 'to roll back', (s) => s.phase === 'Failed');
    expect(lost.conditions?.find((c) => c.type === 'Alerting')).toMatchObject({
      status: 'False',
      reason: 'AlertProviderNotFound',
      message: expect.stringContaining(
        `alert gone: AlertProvider ${namespace}/absent does not exist`,
      ),
    });

    const alerts = await waitFor('the lost target at error', async () => {
      const bodies = bodiesAt(`/ops/${namespace}`);
      return bodies.some((body) => body.reason === 'TargetLost') ? bodies : undefined;
    });
    expect(alerts.map((body) => body.reason)).toEqual(['TargetLost']);
    expect(alerts[0]).toMatchObject({ severity: 'error', phase: 'Failed', type: 'Warning' });
    expect(String(alerts[0]?.message)).toContain('the target Deployment is gone');

    // Events are reports: they follow the status (and give way to a rollback's writes).
    const events = await waitFor('the Event naming the missing provider', async () => {
      const messages = await kubectl([
        '-n',
        namespace,
        'get',
        'events',
        '--field-selector',
        `involvedObject.name=${name},reason=AlertProviderNotFound`,
        '-o',
        'jsonpath={.items[*].message}',
      ]);
      return messages.includes('AlertProvider') ? messages : undefined;
    });
    expect(events).toContain(`alert gone: AlertProvider ${namespace}/absent does not exist`);
  });
});
