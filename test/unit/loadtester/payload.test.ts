import { describe, expect, it } from 'vitest';
import { parseWebhookPayload } from '../../../src/loadtester/payload.js';

describe('parseWebhookPayload', () => {
  it("reads Flagger's payload, turning unquoted YAML numbers and booleans into text", () => {
    const body = JSON.stringify({
      name: 'api',
      namespace: 'production',
      phase: 'Progressing',
      checksum: 'abc',
      metadata: { type: 'autocannon', rps: 50, blocking: true },
    });
    expect(parseWebhookPayload(body)).toEqual({
      ok: true,
      payload: {
        name: 'api',
        namespace: 'production',
        phase: 'Progressing',
        checksum: 'abc',
        metadata: { type: 'autocannon', rps: '50', blocking: 'true' },
      },
    });
  });

  it('keeps a "__proto__" metadata key as a plain entry', () => {
    const parsed = parseWebhookPayload(
      '{"name": "api", "namespace": "p", "metadata": {"__proto__": "x"}}',
    );
    expect(parsed.ok && Object.keys(parsed.payload.metadata)).toEqual(['__proto__']);
  });

  it('accepts a payload without metadata, as the gates receive', () => {
    const parsed = parseWebhookPayload('{"name": "api", "namespace": "production"}');
    expect(parsed.ok && parsed.payload.metadata).toEqual({});
  });

  it.each([
    ['not json', 'body', 'is not JSON'],
    ['[1]', 'body', 'JSON object'],
    ['{"namespace": "production"}', 'name', 'required'],
    ['{"name": "api", "namespace": ""}', 'namespace', 'required'],
    ['{"name": "api", "namespace": "p", "metadata": "x"}', 'metadata', 'object of strings'],
    [
      '{"name": "api", "namespace": "p", "metadata": {"headers": {"a": "1"}}}',
      'metadata.headers',
      'string',
    ],
    ['{"name": "My_App", "namespace": "p"}', 'name', 'not a Kubernetes object name'],
    [`{"name": "${'a'.repeat(254)}", "namespace": "p"}`, 'name', 'at most 253 characters'],
    ['{"name": "api", "namespace": "team.a"}', 'namespace', 'not a Kubernetes namespace'],
    [`{"name": "api", "namespace": "${'n'.repeat(64)}"}`, 'namespace', 'at most 63'],
    [`{"name": "api", "namespace": "p", "phase": "${'P'.repeat(65)}"}`, 'phase', 'over 64'],
    [`{"name": "api", "namespace": "p", "checksum": "${'c'.repeat(257)}"}`, 'checksum', 'over 256'],
    [
      JSON.stringify({
        name: 'api',
        namespace: 'p',
        metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])),
      }),
      'metadata',
      '33 entries, over the limit of 32',
    ],
    [
      JSON.stringify({ name: 'api', namespace: 'p', metadata: { ['k'.repeat(254)]: 'v' } }),
      'metadata',
      'key of 254 characters',
    ],
  ])('refuses %s naming %s', (body, field, hint) => {
    const parsed = parseWebhookPayload(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.field).toBe(field);
    expect(!parsed.ok && parsed.message).toContain(hint);
  });
});
