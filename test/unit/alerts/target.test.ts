import { describe, expect, it } from 'vitest';
import { alertTarget } from '../../../src/alerts/target.js';
import type { AlertProvider } from '../../../src/api/alertprovider.generated.js';

const ref = { namespace: 'test', name: 'on-call' };
const provider = (spec: Partial<AlertProvider['spec']>): AlertProvider => ({
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'AlertProvider',
  metadata: { name: 'on-call', namespace: 'test' },
  spec: { type: 'slack', ...spec },
});
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('alertTarget', () => {
  it('takes the address, and defaults channel and username as Flagger does', () => {
    expect(alertTarget(ref, provider({ address: 'https://hooks.slack.com/x' }), null)).toEqual({
      ok: true,
      target: {
        type: 'slack',
        address: 'https://hooks.slack.com/x',
        channel: 'general',
        username: 'fledge',
        describe: 'test/on-call (slack)',
      },
    });
  });

  it('reads the address and the token from the Secret, trimmed, and keeps the proxy', () => {
    const found = alertTarget(
      ref,
      provider({ secretRef: { name: 'hook' }, channel: 'ops', proxy: 'http://proxy:3128' }),
      { data: { address: base64('https://chat.example/hook\n'), token: base64('t0k') } },
    );
    expect(found).toMatchObject({
      ok: true,
      target: {
        address: 'https://chat.example/hook',
        token: 't0k',
        channel: 'ops',
        proxy: 'http://proxy:3128',
      },
    });
  });

  it.each([
    [null, null, 'AlertProviderNotFound', 'AlertProvider test/on-call does not exist'],
    [
      provider({ secretRef: { name: 'hook' } }),
      null,
      'AlertSecretNotFound',
      'Secret test/hook, named by AlertProvider test/on-call spec.secretRef, does not exist',
    ],
    [
      provider({ secretRef: { name: 'hook' } }),
      { data: { url: base64('https://x/') } },
      'AlertSecretInvalid',
      'Secret test/hook has no value under the key address',
    ],
    [
      provider({ secretRef: { name: 'hook' } }),
      { data: { address: base64('hooks.slack.com/x') } },
      'AlertSecretInvalid',
      'Secret test/hook has no http(s) URL under the key address',
    ],
    [
      provider({}),
      null,
      'AlertProviderInvalid',
      'has no http(s) spec.address and no spec.secretRef',
    ],
    [
      provider({ type: 'pagerduty' as 'slack', address: 'https://x/' }),
      null,
      'AlertProviderInvalid',
      'has type "pagerduty"; use one of slack, msteams, discord, rocket, gchat, generic',
    ],
  ] as const)('names what is wrong and the fix: %#', (found, secret, reason, message) => {
    const resolved = alertTarget(ref, found, secret);
    expect(resolved.ok).toBe(false);
    if (resolved.ok) return;
    expect(resolved.problem.reason).toBe(reason);
    expect(resolved.problem.message).toContain(message);
  });
});
