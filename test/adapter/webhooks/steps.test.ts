import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Webhook } from '../../../src/webhooks/payload.js';
import { checkGate, runWebhooks, sendEvent } from '../../../src/webhooks/steps.js';
import { close, startForwardProxy, startReceiver } from '../../support/receiver.js';

const rollout = {
  name: 'api',
  namespace: 'prod',
  phase: 'Progressing',
  checksum: 'c0ffee',
  canaryWeight: 20,
  iterations: 3,
  failedChecks: 1,
  revision: 'c0ffee',
};
const direct = { proxy: '' };

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let proxy: Awaited<ReturnType<typeof startForwardProxy>>;

beforeAll(async () => {
  receiver = await startReceiver({
    '/open': (_req, res) => res.writeHead(200).end('open'),
    '/closed': (_req, res) => res.writeHead(403).end('closed'),
  });
  const port = Number(new URL(receiver.base).port);
  proxy = await startForwardProxy({
    'gates.fledge-system': port,
    'gates.fledge-system.svc.cluster.local': port,
  });
});

afterAll(async () => {
  await close(proxy?.server);
  await close(receiver?.server);
});

beforeEach(() => {
  receiver.received.length = 0;
  proxy.seen.length = 0;
});

const at = (name: string, type: Webhook['type'], path: string): Webhook => ({
  name,
  type,
  url: `${receiver.base}${path}`,
});

const paths = () => receiver.received.map((r) => r.url);

describe('runWebhooks', () => {
  it('calls only the hooks of the step’s type, in order', async () => {
    const hooks = [
      at('a', 'rollout', '/open?a'),
      at('gate', 'confirm-promotion', '/open?g'),
      at('b', 'rollout', '/open?b'),
    ];
    const result = await runWebhooks(hooks, 'rollout', rollout, direct);
    expect(result).toEqual({ ok: true, message: 'rollout webhooks succeeded: a, b' });
    expect(paths()).toEqual(['/open?a', '/open?b']);
  });

  it('fails on the first failure and skips the rest', async () => {
    const hooks = [at('a', 'pre-rollout', '/closed?a'), at('b', 'pre-rollout', '/open?b')];
    const result = await runWebhooks(hooks, 'pre-rollout', rollout, direct);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(
      /^webhook a \(pre-rollout\) at .* answered 403 Forbidden \(1 attempt\)/,
    );
    expect(paths()).toEqual(['/closed?a']);
  });

  it('succeeds with nothing to call', async () => {
    expect(await runWebhooks([], 'post-rollout', rollout, direct)).toEqual({
      ok: true,
      message: 'no post-rollout webhooks',
    });
  });
});

describe('checkGate', () => {
  it('opens a confirm gate when every hook answers 2xx', async () => {
    const hooks = [
      at('one', 'confirm-traffic-increase', '/open'),
      at('two', 'confirm-traffic-increase', '/open'),
    ];
    expect(await checkGate(hooks, 'confirm-traffic-increase', rollout, direct)).toEqual({
      open: true,
      message: 'confirm-traffic-increase gates open: one, two',
    });
  });

  it('keeps a confirm gate closed when one hook refuses', async () => {
    const hooks = [
      at('one', 'confirm-promotion', '/open'),
      at('two', 'confirm-promotion', '/closed'),
    ];
    const gate = await checkGate(hooks, 'confirm-promotion', rollout, direct);
    expect(gate.open).toBe(false);
    expect(gate.message).toMatch(
      /; the gate opens when its receiver answers 2xx \(for example after an approval\)$/,
    );
    expect(gate.message).toMatch(
      /^confirm-promotion gate two is closed: webhook two \(confirm-promotion\) at .* answered 403/,
    );
  });

  it('opens a confirm gate that has no hooks', async () => {
    expect((await checkGate([], 'confirm-rollout', rollout, direct)).open).toBe(true);
  });

  it('opens the rollback gate when any hook answers 2xx', async () => {
    const hooks = [at('quiet', 'rollback', '/closed'), at('alarm', 'rollback', '/open')];
    const gate = await checkGate(hooks, 'rollback', rollout, direct);
    expect(gate.open).toBe(true);
    expect(gate.message).toMatch(/^rollback gate alarm is open/);
  });

  it('keeps the rollback gate closed when every hook refuses, or there is none', async () => {
    expect(
      await checkGate([at('quiet', 'rollback', '/closed')], 'rollback', rollout, direct),
    ).toEqual({
      open: false,
      message: 'every rollback gate is closed',
    });
    expect(await checkGate([], 'rollback', rollout, direct)).toEqual({
      open: false,
      message: 'no rollback gates',
    });
  });

  it('reaches cluster names through the mesh proxy, in absolute form', async () => {
    const hooks: Webhook[] = [
      { name: 'short', type: 'confirm-promotion', url: 'http://gates.fledge-system/open?x=1' },
      {
        name: 'long',
        type: 'confirm-promotion',
        url: 'http://gates.fledge-system.svc.cluster.local/open',
      },
    ];
    const gate = await checkGate(hooks, 'confirm-promotion', rollout, { proxy: proxy.address });
    expect(gate.open).toBe(true);
    expect(proxy.seen).toEqual([
      'POST http://gates.fledge-system/open?x=1',
      'POST http://gates.fledge-system.svc.cluster.local/open',
    ]);
    expect(receiver.received[0]?.body).toEqual(rollout);
    expect(receiver.received[0]?.headers.host).toBe('gates.fledge-system');
  });

  it('takes the proxy from FLEDGE_MESH_PROXY when none is given, and names it in failures', async () => {
    const before = process.env.FLEDGE_MESH_PROXY;
    process.env.FLEDGE_MESH_PROXY = proxy.address;
    try {
      const gate = await checkGate(
        [{ name: 'gone', type: 'confirm-rollout', url: 'http://missing.prod:8080/' }],
        'confirm-rollout',
        rollout,
      );
      expect(gate.open).toBe(false);
      expect(gate.message).toBe(
        `confirm-rollout gate gone is closed: webhook gone (confirm-rollout) at http://missing.prod:8080/ through the mesh proxy ${proxy.address} answered 502 Bad Gateway (1 attempt); check the receiver's logs`,
      );
    } finally {
      if (before === undefined) delete process.env.FLEDGE_MESH_PROXY;
      else process.env.FLEDGE_MESH_PROXY = before;
    }
  });

  it('refuses an https webhook through the proxy with a clear reason', async () => {
    const gate = await checkGate(
      [{ name: 'tls', type: 'confirm-rollout', url: 'https://gates.fledge-system/' }],
      'confirm-rollout',
      rollout,
      { proxy: proxy.address },
    );
    expect(gate.message).toMatch(
      /forwards plain http only, and https:\/\/gates.fledge-system\/ is https; use an http:\/\/ url/,
    );
    expect(proxy.seen).toEqual([]);
  });
});

describe('the payload a receiver gets', () => {
  it('carries Flagger’s fields first, then canaryWeight, iterations, failedChecks and the revision', async () => {
    const hooks = [
      { ...at('load', 'rollout', '/open'), metadata: { cmd: 'hey -z 1m http://api.prod/' } },
    ];
    await runWebhooks(hooks, 'rollout', rollout, direct);
    await sendEvent(
      [at('events', 'event', '/open')],
      rollout,
      { message: 'm', type: 'Normal' },
      direct,
    );
    const [step, event] = receiver.received.map((entry) => entry.body as Record<string, unknown>);
    expect(Object.keys(step ?? {})).toEqual([
      'name',
      'namespace',
      'phase',
      'checksum',
      'metadata',
      'canaryWeight',
      'iterations',
      'failedChecks',
      'revision',
    ]);
    expect(step).toMatchObject({
      canaryWeight: 20,
      iterations: 3,
      failedChecks: 1,
      revision: 'c0ffee',
    });
    expect(event).toMatchObject({
      name: 'api',
      phase: 'Progressing',
      canaryWeight: 20,
      iterations: 3,
      failedChecks: 1,
      revision: 'c0ffee',
      metadata: { eventMessage: 'm', eventType: 'Normal' },
    });
  });
});

describe('sendEvent', () => {
  it('posts the event to every event hook with Flagger’s metadata, and never rejects', async () => {
    const hooks = [
      at('slack', 'event', '/open'),
      at('audit', 'event', '/closed'),
      at('load', 'rollout', '/open'),
    ];
    const results = await sendEvent(
      hooks,
      rollout,
      { message: 'Halt advancement api.prod request-success-rate 95 < 99', type: 'Warning' },
      { ...direct, now: new Date(1700000000000) },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]?.body).toEqual({
      ...rollout,
      metadata: {
        eventMessage: 'Halt advancement api.prod request-success-rate 95 < 99',
        eventType: 'Warning',
        timestamp: '1700000000000',
      },
    });
  });
});
