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
  ])('refuses %s naming %s', (body, field, hint) => {
    const parsed = parseWebhookPayload(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.field).toBe(field);
    expect(!parsed.ok && parsed.message).toContain(hint);
  });
});
