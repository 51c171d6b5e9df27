import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../../src/alerts/dispatcher.js';
import type { Rollout } from '../../../src/api/types.js';
import type { Decision } from '../../../src/controller/decisions.js';
import { KubeApiError } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer } from '../../support/apiserver.js';
import { close, startReceiver } from '../../support/receiver.js';
import { rollback } from '../../unit/alerts/fixtures.js';

const cluster = useApiServer(['alertProvider']);
const alertProviders = {
  group: 'fledge.dev',
  version: 'v1alpha1',
  plural: 'alertproviders',
  kind: 'AlertProvider',
  namespaced: true,
};

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let namespace: string;
let events: Decision[];
let dispatcher: AlertDispatcher;

beforeAll(async () => {
  receiver = await startReceiver({
    '/slack': (_req, res) => res.writeHead(200).end('ok'),
    '/teams': (_req, res) => res.writeHead(200).end(),
    '/gone': (_req, res) => res.writeHead(410).end('no_service'),
  });
});

afterAll(() => close(receiver?.server));

beforeEach(async () => {
  receiver.received.length = 0;
  events = [];
  namespace = await cluster().createNamespace('alerts');
  dispatcher = new AlertDispatcher({
    api: cluster().api,
    log: pino({ level: 'silent' }),
    registry: new Registry(),
    recordEvent: (_rollout, decision) => events.push(decision),
    now: () => new Date('2025-01-02T03:04:05Z'),
  });
});

const provider = (name: string, spec: Record<string, unknown>) =>
  new ResourceClient(cluster().api, alertProviders).create({
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'AlertProvider',
    metadata: { name, namespace },
    spec,
  });

const secret = (name: string, data: Record<string, string>) =>
  new ResourceClient(cluster().api, knownTypes.secrets).create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    stringData: data,
  });

function rolloutWith(alerts: unknown[]): Rollout {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'podinfo', namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      analysis: { threshold: 5, alerts },
    },
  } as unknown as Rollout;
}

describe('AlertDispatcher against a real API server', () => {
  it('reads the provider and its Secret, and posts to each alert that hears the severity', async () => {
    await secret('slack-url', { address: `${receiver.base}/slack`, token: 'xoxb-1' });
    await provider('slack', { type: 'slack', secretRef: { name: 'slack-url' }, channel: 'ops' });
    await provider('teams', { type: 'msteams', address: `${receiver.base}/teams` });
    const rollout = rolloutWith([
      { name: 'on-call', severity: 'error', providerRef: { name: 'slack' } },
      { name: 'team', severity: 'info', providerRef: { name: 'teams', namespace } },
    ]);
    const condition = await dispatcher.alert(rollout, rollback);
    expect(condition).toEqual({
      type: 'Alerting',
      status: 'True',
      reason: 'ProvidersReady',
      message: `alerts go to ${namespace}/slack (slack), ${namespace}/teams (msteams)`,
    });
    const byPath = Object.fromEntries(receiver.received.map((entry) => [entry.url, entry]));
    expect(Object.keys(byPath).sort()).toEqual(['/slack', '/teams']);
    expect(byPath['/slack']?.headers.authorization).toBe('Bearer xoxb-1');
    expect(byPath['/slack']?.body).toMatchObject({ channel: 'ops', username: 'fledge' });
    expect(byPath['/teams']?.body).toMatchObject({ type: 'message' });
    expect(events).toEqual([]);
  });

  it('sends a warning only to alerts at info or warn', async () => {
    await provider('hook', { type: 'generic', address: `${receiver.base}/slack` });
    const rollout = rolloutWith([
      { name: 'errors-only', severity: 'error', providerRef: { name: 'hook' } },
      { name: 'warnings', severity: 'warn', providerRef: { name: 'hook' } },
    ]);
    const failedCheck = {
      ...rollback,
      phase: 'Progressing' as const,
      decision: { type: 'Warning' as const, reason: 'FailedCheck', message: 'failed check 1 of 5' },
    };
    await dispatcher.alert(rollout, failedCheck);
    expect(receiver.received.map((entry) => entry.body)).toMatchObject([
      { reason: 'FailedCheck', severity: 'warn', message: 'failed check 1 of 5' },
    ]);
  });

  it('turns a missing provider or Secret into a False condition and an Event, not a crash', async () => {
    await provider('no-secret', { type: 'slack', secretRef: { name: 'absent' } });
    const rollout = rolloutWith([
      { name: 'a', severity: 'info', providerRef: { name: 'absent' } },
      { name: 'b', severity: 'info', providerRef: { name: 'no-secret' } },
    ]);
    const condition = await dispatcher.alert(rollout, rollback);
    expect(condition).toEqual({
      type: 'Alerting',
      status: 'False',
      reason: 'AlertProviderNotFound',
      message: `alert a: AlertProvider ${namespace}/absent does not exist: create it, or fix analysis.alerts[].providerRef; alert b: Secret ${namespace}/absent, named by AlertProvider ${namespace}/no-secret spec.secretRef, does not exist: create it with the key address`,
    });
    expect(events.map((event) => [event.type, event.reason])).toEqual([
      ['Warning', 'AlertProviderNotFound'],
      ['Warning', 'AlertSecretNotFound'],
    ]);
    expect(receiver.received).toEqual([]);
  });

  it('reports an alert the service refused as an Event with the status only', async () => {
    await provider('revoked', { type: 'slack', address: `${receiver.base}/gone` });
    const rollout = rolloutWith([
      { name: 'a', severity: 'info', providerRef: { name: 'revoked' } },
    ]);
    const condition = await dispatcher.alert(rollout, rollback);
    expect(condition?.status).toBe('True');
    expect(events).toEqual([
      {
        type: 'Warning',
        reason: 'AlertFailed',
        message: `alert a to ${namespace}/revoked (slack) was not delivered: ${receiver.base} answered 410 Gone; the webhook URL is unknown to the service: check it, it may have been revoked`,
      },
    ]);
  });

  it('sends nothing and says nothing for a Rollout without alerts', async () => {
    expect(await dispatcher.alert(rolloutWith([]), rollback)).toBeUndefined();
    expect(receiver.received).toEqual([]);
  });

  it('is refused by the API server with both an address and a secretRef, as Flagger’s is', async () => {
    const both = provider('both', {
      type: 'slack',
      address: `${receiver.base}/slack`,
      secretRef: { name: 'x' },
    });
    await expect(both).rejects.toSatisfy(
      (error) => error instanceof KubeApiError && error.statusCode === 422,
    );
  });
});
