import { describe, expect, it } from 'vitest';
import { convertHey } from '../../../src/convert/hey.js';
import { shellWords } from '../../../src/convert/shell-words.js';
import { parseLoadMetadata } from '../../../src/loadtester/metadata.js';

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
    ['hey -z forever http://svc/', /-z forever is not a duration/],
    ['hey -c 0 -z 1m http://svc/', /-c 0 is not a whole number of 1 or more/],
    ['hey -q abc -z 1m http://svc/', /-q abc is not a rate above 0/],
    ['hey -q 1e309 -z 1m http://svc/', /-q 1e309 is not a rate above 0/],
    ['hey -m TRACE -z 1m http://svc/', /-m TRACE is a method the loadtester does not send/],
    ["hey -H 'no colon' -z 1m http://svc/", /the loadtester would refuse it: metadata\.headers/],
    [
      "hey -H 'Content-Length: 5' -z 1m http://svc/",
      /the loadtester would refuse it: metadata\.headers/,
    ],
  ])('refuses %s', (command, reason) => {
    const result = convertHey(command);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe("convertHey keeps load within the loadtester's limits", () => {
  it.each([
    [
      'hey -z 2h -q 10 -c 2 http://svc.ns/',
      { duration: '1h' },
      /-z 2h became 1h, the loadtester's maximum/,
    ],
    [
      'hey -z 10ms -q 10 -c 2 http://svc.ns/',
      { duration: '1s' },
      /-z 10ms became 1s, the loadtester's minimum/,
    ],
    [
      'hey -z 1m -q 1000 -c 100 http://svc.ns/',
      { rps: '10000', connections: '100' },
      /asks 100000 requests per second; rps became 10000/,
    ],
    [
      'hey -z 1m -q 1 -c 5000 http://svc.ns/',
      { rps: '5000', connections: '1000' },
      /-c 5000 became 1000 connections/,
    ],
    [
      'hey -n 100000000 -q 1 -c 1 http://svc.ns/',
      { duration: '1h' },
      /-n 100000000 requests at 1 rps became 1h/,
    ],
    ['hey -z 1m -m HEAD http://svc.ns/', { method: 'GET' }, /-m HEAD became GET/],
    [
      'hey -z 1m -H "Host: app.example.com" http://svc.ns/',
      {},
      /-H "Host: app.example.com" was dropped/,
    ],
  ])('%s', (command, metadata, note) => {
    const result = convertHey(command);
    expect(result).toMatchObject({ ok: true, metadata });
    expect(result.ok && result.notes.join('\n')).toMatch(note);
    expect(result.ok && parseLoadMetadata(result.metadata).ok).toBe(true);
  });

  it('moves credentials out of the URL, which the loadtester refuses, into a header', () => {
    const result = convertHey('hey -z 1m http://user:pw@svc.ns/');
    expect(result).toMatchObject({
      ok: true,
      metadata: {
        url: 'http://svc.ns/',
        headers: `Authorization: Basic ${Buffer.from('user:pw').toString('base64')}`,
      },
    });
  });

  it('writes nothing the loadtester refuses, for any command of the fuzzer', () => {
    const commands = [
      'hey -z 1000000h -q 10 -c 2 http://svc.ns/',
      'hey -q 0.0001 -c 1 -n 1 http://svc.ns/',
      'hey -c 1 -q 99999999 http://svc.ns/',
      "hey -A 'text/html' -T text/plain -a u:p -d x -m post http://svc.ns/",
    ];
    for (const command of commands) {
      const result = convertHey(command);
      if (result.ok)
        expect(parseLoadMetadata(result.metadata), command).toMatchObject({ ok: true });
    }
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
