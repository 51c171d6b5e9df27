import { describe, expect, it } from 'vitest';
import { alertMessage, MAX_TEXT } from '../../../src/alerts/message.js';
import type { Rollout } from '../../../src/api/types.js';
import { message, rollback, rollout } from './fixtures.js';

describe('alertMessage', () => {
  it('gives every provider the decision with the phase, progress and target it was taken in', () => {
    expect(alertMessage(rollout, rollback, 'error', new Date(message.timestamp))).toEqual(message);
  });

  it('names the two Services of a backend-mode rollout, and the cluster of a remote one', () => {
    const backends = {
      ...rollout,
      spec: {
        analysis: { threshold: 3 },
        backends: { stable: { service: 'api-v1' }, canary: { service: 'api-v2', cluster: 'west' } },
      },
    } as unknown as Rollout;
    const made = alertMessage(backends, rollback, 'error', new Date());
    expect(made.target).toBe('Services api-v1 -> api-v2 (west)');
    expect(made.fields[3]).toEqual({ name: 'Failed checks', value: '5 of 3' });
  });

  it('keeps a message printable and at most MAX_TEXT characters', () => {
    const long = {
      ...rollback,
      decision: { ...rollback.decision, message: `a\u0000b\u001bc${'x'.repeat(5000)}` },
    };
    const { text } = alertMessage(rollout, long, 'error', new Date());
    expect([...text]).toHaveLength(MAX_TEXT);
    expect(text.startsWith('a b c')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
  });
});
