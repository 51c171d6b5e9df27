import { describe, expect, it } from 'vitest';
import { parseHeaders } from '../../../src/loadtester/headers.js';

describe('parseHeaders', () => {
  it('reads a JSON object', () => {
    expect(parseHeaders('{"x-canary": "1", "x-retries": 3}')).toEqual({
      ok: true,
      headers: { 'x-canary': '1', 'x-retries': '3' },
    });
  });

  it('reads "Name: value" lines, keeping colons inside values and skipping blank lines', () => {
    expect(parseHeaders('Authorization: Bearer a:b\r\n\nX-Canary:  1 \n')).toEqual({
      ok: true,
      headers: { Authorization: 'Bearer a:b', 'X-Canary': '1' },
    });
  });

  it('treats an empty string as no headers', () => {
    expect(parseHeaders('  ')).toEqual({ ok: true, headers: {} });
  });

  it.each([
    ['{"x-a": ', 'not valid JSON'],
    ['["x-a"]', 'JSON object'],
    ['{"x-a": {"b": 1}}', 'string value'],
    ['no colon here', '"Name: value"'],
    [': value', '"Name: value"'],
    ['Bad Name: 1', 'valid HTTP token'],
    ['{"x-a": "1\\r\\nHost: evil"}', 'line break'],
    ['host: evil.example', 'set by the loadtester'],
    ['Content-Length: 5', 'set by the loadtester'],
    ['X-A: 1\nx-a: 2', 'given twice'],
  ])('refuses %j', (text, hint) => {
    const parsed = parseHeaders(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(hint);
  });
});
