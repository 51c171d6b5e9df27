import { describe, expect, it } from 'vitest';
import { parseGoDuration as parseDuration } from '../../../src/api/duration.js';
import { parseLoadMetadata } from '../../../src/loadtester/metadata.js';

const base = { type: 'autocannon', url: 'http://api-service-canary.production:8080/' };

function problemOf(metadata: Record<string, string>) {
  const parsed = parseLoadMetadata(metadata);
  if (parsed.ok) throw new Error('expected a problem');
  return parsed.problem;
}

describe('parseLoadMetadata', () => {
  it('applies defaults: 10 rps, 10 connections, one minute of GET, in the background', () => {
    const parsed = parseLoadMetadata(base);
    expect(parsed).toEqual({
      ok: true,
      spec: {
        url: new URL(base.url),
        rps: 10,
        connections: 10,
        durationMs: 60_000,
        method: 'GET',
        headers: {},
        body: undefined,
        blocking: false,
        maxErrorRate: undefined,
      },
    });
  });

  it('never opens more connections by default than requests per second', () => {
    const parsed = parseLoadMetadata({ ...base, rps: '3' });
    expect(parsed.ok && parsed.spec.connections).toBe(3);
  });

  it('reads every field of a blocking check', () => {
    const parsed = parseLoadMetadata({
      ...base,
      rps: '200',
      connections: '20',
      duration: '1m30s',
      method: 'post',
      headers: 'Content-Type: application/json',
      body: '{"a":1}',
      blocking: 'TRUE',
      maxErrorRate: '5%',
    });
    expect(parsed.ok && parsed.spec).toMatchObject({
      rps: 200,
      connections: 20,
      durationMs: 90_000,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
      blocking: true,
      maxErrorRate: 0.05,
    });
  });

  it('takes maxErrorRate as a fraction from 0 to 1', () => {
    const parsed = parseLoadMetadata({ ...base, blocking: 'true', maxErrorRate: '0.01' });
    expect(parsed.ok && parsed.spec.maxErrorRate).toBe(0.01);
    const bare = parseLoadMetadata({ ...base, blocking: 'true', maxErrorRate: ' .5 ' });
    expect(bare.ok && bare.spec.maxErrorRate).toBe(0.5);
    const percent = parseLoadMetadata({ ...base, blocking: 'true', maxErrorRate: '2.5 %' });
    expect(percent.ok && percent.spec.maxErrorRate).toBe(0.025);
    const rps = parseLoadMetadata({ ...base, rps: ' 20 ' });
    expect(rps.ok && rps.spec.rps).toBe(20);
  });

  it.each([
    [{ type: 'cmd', url: base.url }, 'metadata.type', 'autocannon'],
    [{ url: base.url }, 'metadata.type', 'required'],
    [{ cmd: 'hey -z 1m http://x/' }, 'metadata.cmd', 'no shell commands'],
    [{ type: 'autocannon' }, 'metadata.url', 'required'],
    [{ ...base, url: 'api:8080/' }, 'metadata.url', 'scheme'],
    [{ ...base, url: 'not a url' }, 'metadata.url', 'absolute URL'],
    [{ ...base, url: 'ftp://api.production/' }, 'metadata.url', 'scheme'],
    [{ ...base, url: 'http://u:p@api.production/' }, 'metadata.url', 'credentials'],
    [{ ...base, rps: 'fast' }, 'metadata.rps', 'whole number from 1 to 10000'],
    [{ ...base, rps: '0' }, 'metadata.rps', 'from 1'],
    [{ ...base, rps: '2.5' }, 'metadata.rps', 'whole number'],
    [{ ...base, rps: '10001' }, 'metadata.rps', 'to 10000'],
    [{ ...base, rps: '0x10' }, 'metadata.rps', 'whole number'],
    [{ ...base, rps: '1e3' }, 'metadata.rps', 'whole number'],
    [{ ...base, connections: '0b11' }, 'metadata.connections', 'whole number'],
    [{ ...base, blocking: 'true', maxErrorRate: '0x1' }, 'metadata.maxErrorRate', 'fraction'],
    [{ ...base, blocking: 'true', maxErrorRate: '1e-2' }, 'metadata.maxErrorRate', 'fraction'],
    [{ ...base, blocking: 'true', maxErrorRate: '-0' }, 'metadata.maxErrorRate', 'fraction'],
    [{ ...base, connections: '0' }, 'metadata.connections', 'from 1 to 1000'],
    [{ ...base, duration: 'forever' }, 'metadata.duration', 'e.g. 30s'],
    [{ ...base, duration: '2h' }, 'metadata.duration', 'from 1s to 1h'],
    [{ ...base, duration: '500ms' }, 'metadata.duration', 'out of range'],
    [{ ...base, method: 'TRACE' }, 'metadata.method', 'GET, POST'],
    [{ ...base, method: 'head' }, 'metadata.method', 'not supported'],
    [{ ...base, headers: '{"Host": "evil.example"}' }, 'metadata.headers', 'set by the loadtester'],
    [{ ...base, blocking: 'yes' }, 'metadata.blocking', '"true" or "false"'],
    [
      { ...base, blocking: 'true', maxErrorRate: '5' },
      'metadata.maxErrorRate',
      'percentage with %',
    ],
    [{ ...base, blocking: 'true', maxErrorRate: '120%' }, 'metadata.maxErrorRate', 'from 0 to 1'],
    [{ ...base, maxErrorRate: '0.1' }, 'metadata.maxErrorRate', 'blocking: "true"'],
    [{ ...base, rpss: '10' }, 'metadata.rpss', 'not a known field'],
    [{ ...base, constructor: '1' }, 'metadata.constructor', 'not a known field'],
    [JSON.parse(`{"type": "autocannon", "__proto__": "1"}`), 'metadata.__proto__', 'not a known'],
    [
      { ...base, headers: '{"l5d-dst-override": "admin.kube-system:4191"}' },
      'metadata.headers',
      'set by the loadtester',
    ],
  ])('rejects %j naming %s', (metadata, field, hint) => {
    const problem = problemOf(metadata as Record<string, string>);
    expect(problem.field).toBe(field);
    expect(problem.message).toContain(hint);
  });
});

describe('parseLoadMetadata: sizes', () => {
  const headerLines = (count: number) =>
    Array.from({ length: count }, (_, i) => `x-h${i}: 1`).join('\n');

  it.each([
    [
      { url: `http://api.production/${'a'.repeat(2_100)}` },
      'metadata.url',
      'over the limit of 2048',
    ],
    [{ body: 'é'.repeat(40_000) }, 'metadata.body', '80000 bytes long, over the limit of 65536'],
    [{ headers: `x-a: ${'v'.repeat(17_000)}` }, 'metadata.headers', 'over the limit of 16384'],
    [{ headers: headerLines(65) }, 'metadata.headers', '65 headers, over the limit of 64'],
    [{ rps: '1'.repeat(65) }, 'metadata.rps', '65 characters long, over the limit of 64'],
    [{ duration: `${'9'.repeat(60)}s` }, 'metadata.duration', 'out of range'],
  ])('refuses an oversized field naming it, without echoing it: %#', (extra, field, hint) => {
    const problem = problemOf({ ...base, ...extra });
    expect(problem.field).toBe(field);
    expect(problem.message).toContain(hint);
    expect(problem.message.length).toBeLessThan(300);
  });

  it('takes every field at its limit', () => {
    const parsed = parseLoadMetadata({
      ...base,
      body: 'b'.repeat(65_536),
      headers: headerLines(64),
      method: 'POST',
      rps: '10000',
      connections: '1000',
      duration: '1h',
    });
    expect(parsed.ok).toBe(true);
  });

  it('quotes at most 80 characters of a wrong value', () => {
    const problem = problemOf({ ...base, url: `X${'y'.repeat(1_000)}` });
    expect(problem.message).toMatch(/^"Xy{79}…" is not an absolute URL/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1.5s', 1_500],
    ['45', 45_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '1d', '-1s', '1 m', 'm1'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
