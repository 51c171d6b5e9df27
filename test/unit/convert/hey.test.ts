import { describe, expect, it } from 'vitest';
import { convertHey } from '../../../src/convert/hey.js';
import { shellWords } from '../../../src/convert/shell-words.js';

describe('convertHey', () => {
  it('turns the seed command into autocannon metadata with rps = q × c', () => {
    expect(convertHey('hey -z 1m -q 10 -c 2 http://api-service-canary.production:8080/')).toEqual({
      ok: true,
      metadata: {
        type: 'autocannon',
        url: 'http://api-service-canary.production:8080/',
        rps: '20',
        connections: '2',
        duration: '1m',
      },
      notes: [],
    });
  });

  it('carries method, headers, content type, basic auth and body', () => {
    const result = convertHey(
      `hey -z 30s -q 5 -c 4 -m post -H 'X-Canary: 1' -T application/json -a user:pw -d '{"a":1}' http://svc.ns:80/api`,
    );
    expect(result).toMatchObject({
      ok: true,
      metadata: {
        rps: '20',
        connections: '4',
        duration: '30s',
        method: 'POST',
        headers: `X-Canary: 1\nContent-Type: application/json\nAuthorization: Basic ${Buffer.from('user:pw').toString('base64')}`,
        body: '{"a":1}',
      },
    });
  });

  it('turns a request count into a duration at the planned rate', () => {
    const result = convertHey('hey -n 100 -q 5 -c 2 http://svc.ns/');
    expect(result).toMatchObject({ ok: true, metadata: { rps: '10', duration: '10s' } });
    expect(result.ok && result.notes).toEqual([
      '-n 100 requests became a duration of 10s at 10 rps',
    ]);
  });

  it('says what replaces an unlimited rate', () => {
    const result = convertHey('hey -z 1m http://svc.ns/');
    expect(result).toMatchObject({ ok: true, metadata: { connections: '10', duration: '1m' } });
    expect(result.ok && result.notes[0]).toMatch(/no -q.*default 10 rps/);
  });

  it('lists flags without a counterpart', () => {
    const result = convertHey(
      'hey -z 1m -q 1 -c 1 -t 5 -disable-keepalive -host example.com http://svc.ns/',
    );
    expect(result.ok && result.notes).toEqual([
      '-host was dropped: the loadtester sets Host from the URL; put that host name in metadata.url',
      '-t (a per-request timeout) has no counterpart and was dropped',
      '-disable-keepalive (disabling keep-alive) has no counterpart and was dropped',
    ]);
  });

  it.each([
    ['curl -s http://svc/ | grep ok', /not a single plain `hey` command/],
    ['hey -z 1m -q 10', /one http:\/\/ or https:\/\/ URL/],
    ['hey -z 1m -bogus http://svc/', /no flag -bogus/],
    ['hey -z 10ms http://svc/', /-z 10ms is not a duration of 1s or more/],
  ])('refuses %s', (command, reason) => {
    const result = convertHey(command);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe('shellWords', () => {
  it('groups quoted words and unescapes', () => {
    expect(shellWords(`hey -H "a: b c" -d 'x y' a\\ b`)).toEqual([
      'hey',
      '-H',
      'a: b c',
      '-d',
      'x y',
      'a b',
    ]);
  });

  it('refuses what needs a shell: pipes, lists, substitutions, open quotes', () => {
    for (const line of ['a | b', 'a && b', 'a; b', 'echo $(x)', 'echo "$HOME"', 'echo "open']) {
      expect(shellWords(line)).toBeUndefined();
    }
  });
});
