import { describe, expect, it } from 'vitest';
import type { WebhookSpec } from '../../../src/api/types.js';
import { eventPayload, webhookPayload } from '../../../src/webhooks/payload.js';

const rollout = {
  name: 'api',
  namespace: 'prod',
  phase: 'Progressing',
  checksum: 'abc123',
  canaryWeight: 30,
  iterations: 4,
  failedChecks: 2,
  revision: 'abc123',
};

describe('webhook payloads', () => {
  it('carry Flagger’s fields with the webhook’s metadata', () => {
    const payload = webhookPayload(
      { name: 'load', type: 'rollout', url: 'http://x/', metadata: { cmd: 'hey', rps: '10' } },
      rollout,
    );
    expect(JSON.parse(JSON.stringify(payload))).toEqual({
      name: 'api',
      namespace: 'prod',
      phase: 'Progressing',
      checksum: 'abc123',
      metadata: { cmd: 'hey', rps: '10' },
      canaryWeight: 30,
      iterations: 4,
      failedChecks: 2,
      revision: 'abc123',
    });
  });

  it('leave metadata out when the webhook has none, as Flagger’s omitempty does', () => {
    const payload = webhookPayload(
      { name: 'gate', type: 'confirm-promotion', url: 'http://x/' },
      rollout,
    );
    expect(Object.keys(payload)).toEqual([
      'name',
      'namespace',
      'phase',
      'checksum',
      'canaryWeight',
      'iterations',
      'failedChecks',
      'revision',
    ]);
  });

  it('put an event’s message, type and millisecond timestamp in metadata', () => {
    const payload = eventPayload(
      rollout,
      { message: 'Advance api.prod canary weight 20', type: 'Normal' },
      new Date(1700000000123),
    );
    expect(payload.metadata).toEqual({
      eventMessage: 'Advance api.prod canary weight 20',
      eventType: 'Normal',
      timestamp: '1700000000123',
    });
    expect(payload).toMatchObject(rollout);
  });
});

describe('webhook payloads from the Rollout’s own types', () => {
  it('take spec.analysis.webhooks as validateRollout returns them', () => {
    const hook: WebhookSpec = {
      name: 'load',
      type: 'rollout',
      url: 'http://x/',
      timeout: '10s',
      retries: 0,
    };
    expect(webhookPayload(hook, rollout)).toEqual(rollout);
  });
});
