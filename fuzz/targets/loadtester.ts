/**
 * The loadtester's webhook and gate endpoints, black-box over HTTP on 127.0.0.1: load
 * webhooks aimed at loopback, link-local, metadata and public addresses in many spellings
 * (all at a sink on 127.0.0.1 that counts what reaches it), metadata one field past its
 * limits, gates with huge and odd keys, malformed, deep and oversized bodies, odd paths and
 * methods. Load that may really start is kept to 1-2 requests per second for 1-2 seconds.
 * Oracle: crash: a 5xx answer or a dead server; hang: no answer within 10 s;
 * accepted-but-invalid: a 2xx to a request that must be refused (load to an address that is
 * not a cluster name, metadata past the limits of docs/loadtester.md, a payload without a
 * name); unnamed: a 4xx answer without a JSON body whose `error` says what is wrong.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { deeplyNested, type Json, jsonText, unicodeString } from '../hostile-values.js';
import { Random } from '../random.js';
import { repoRoot } from '../seeds.js';
import { type Finding, Tally } from '../tally.js';

export interface LoadtesterUnderTest {
  url: string;
  /** False once the server's process has died. */
  alive(): boolean;
  /** Peak resident memory in MiB, when it runs as a process of its own. */
  peakMiB(): number | undefined;
  stop(): Promise<void>;
}

interface Probe {
  what: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  mustRefuse: boolean;
}

const ANSWER_BOUND_MS = 10_000;

/** Hosts that must never get load, aimed at the sink's port where a port matters. */
function refusedTargets(sink: number): string[] {
  return [
    `http://127.0.0.1:${sink}/`,
    `http://localhost:${sink}/`,
    `http://LOCALHOST.:${sink}/`,
    `http://127.1:${sink}/`,
    `http://0x7f000001:${sink}/`,
    `http://2130706433:${sink}/`,
    `http://0177.0.0.1:${sink}/`,
    `http://[::1]:${sink}/`,
    `http://[::ffff:127.0.0.1]:${sink}/`,
    `http://0.0.0.0:${sink}/`,
    `http://localtest.me:${sink}/`,
    `http://ip6-localhost:${sink}/`,
    `http://${hostname()}:${sink}/`,
    `http://127.0.0.1.nip.io:${sink}/`,
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/',
    'http://100.100.100.200/',
    'http://[fe80::1]/',
    'http://example.com/',
    'http://evil.com#.svc',
    'http://evil.com?.svc',
    'http://evil.com\\@a.svc/',
    `http://a.svc@127.0.0.1:${sink}/`,
  ];
}

/** Cluster names that do not resolve here: accepting or refusing them are both right. */
const CLUSTER_TARGETS = [
  'http://fuzz-canary.fuzz-ns:8080/',
  'http://fuzz-canary.fuzz-ns.svc.cluster.local:8080/',
  'http://fuzz-canary.fuzz-ns.svc:8080/',
];

/** One metadata field past the loadtester's limits, with the others minimal. */
const PAST_LIMITS: [string, string][] = [
  ['rps', '0'],
  ['rps', '10001'],
  ['rps', '1e3'],
  ['rps', 'ten'],
  ['rps', '-1'],
  ['connections', '0'],
  ['connections', '1001'],
  ['duration', '0s'],
  ['duration', '2h'],
  ['duration', 'forever'],
  ['duration', '999999999999h'],
  ['method', 'HEAD'],
  ['method', 'TRACE'],
  ['method', 'GET /x HTTP/1.1\r\nX: y'],
  ['headers', 'Host: evil.example'],
  ['headers', 'Content-Length: 5'],
  ['headers', 'X-A: b\r\nX-C: d'],
  ['headers', 'not a header'],
  ['maxErrorRate', '0.5'],
  ['cmd', 'hey http://x/'],
  ['type', 'cmd'],
  ['unknown', 'x'],
];

function payload(name: Json, namespace: Json, metadata: Json): string {
  return jsonText({ name, namespace, phase: 'Progressing', checksum: 'c', metadata });
}

function generate(rng: Random, sink: number): Probe {
  const roll = rng.int(0, 19);
  const minimal = { type: 'autocannon', rps: '1', connections: '1', duration: '1s' };
  if (roll <= 5) {
    const url = rng.pick(refusedTargets(sink));
    const blocking: Record<string, string> = rng.chance(0.3) ? { blocking: 'true' } : {};
    return {
      what: `load to ${url}${blocking.blocking ? ' (blocking)' : ''}`,
      method: 'POST',
      path: '/',
      body: payload('fuzz', 'fuzz', { ...minimal, url, ...blocking }),
      mustRefuse: true,
    };
  }
  if (roll <= 8) {
    const [field, value] = rng.pick(PAST_LIMITS);
    const url = rng.pick(CLUSTER_TARGETS);
    return {
      what: `load with metadata.${field} ${JSON.stringify(value)}`,
      method: 'POST',
      path: '/',
      body: payload('fuzz', 'fuzz', { ...minimal, url, [field]: value }),
      mustRefuse: true,
    };
  }
  if (roll <= 9) {
    const url = rng.pick(CLUSTER_TARGETS);
    const blocking: Record<string, string> = rng.chance(0.5)
      ? { blocking: 'true', maxErrorRate: '1' }
      : {};
    return {
      what: `load to the cluster name ${url}`,
      method: 'POST',
      path: '/',
      body: payload(`fuzz-${rng.int(0, 5)}`, 'fuzz', {
        ...minimal,
        duration: rng.pick(['1s', '2s']),
        url,
        ...blocking,
      }),
      mustRefuse: false,
    };
  }
  if (roll <= 13) {
    const gate = rng.pick([
      '/gate/open',
      '/gate/close',
      '/gate/check',
      '/rollback/open',
      '/rollback/close',
      '/rollback/check',
    ]);
    const name = rng.pick<Json>([
      `rollout-${rng.int(0, 1_000_000)}`,
      'x'.repeat(rng.pick([300, 100_000, 1_000_000])),
      unicodeString(rng),
      '',
      5,
      null,
    ]);
    const mustRefuse = typeof name !== 'string' || name === '';
    return {
      what: `${gate} for name ${typeof name === 'string' ? `of ${name.length} characters` : JSON.stringify(name)}`,
      method: 'POST',
      path: gate,
      body: payload(name, 'fuzz', {}),
      mustRefuse,
    };
  }
  if (roll <= 17) {
    // What each body is, and whether the load endpoint and the gates must refuse it.
    const bodies: [string, string | Buffer, boolean, boolean][] = [
      ['invalid JSON', '{"name": "x", ', true, true],
      ['an empty body', '', true, true],
      ['100,000 nested arrays', jsonText(deeplyNested(rng, 100_000)), true, true],
      ['a 2 MiB body', payload('x'.repeat(2 * 1024 * 1024), 'fuzz', {}), true, true],
      [
        'a metadata map of 20,000 keys',
        payload(
          'fuzz',
          'fuzz',
          Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v'])),
        ),
        true,
        false,
      ],
      ['metadata that is a list', payload('fuzz', 'fuzz', ['a']), true, true],
      [
        'a __proto__ payload',
        '{"__proto__": {"polluted": true}, "name": "x", "namespace": "y", "metadata": {"__proto__": "x"}}',
        true,
        false,
      ],
      ['a byte-order mark', `\ufeff${payload('fuzz', 'fuzz', {})}`, true, false],
      ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), true, true],
    ];
    const [what, body, refuseAtLoad, refuseAtGate] = rng.pick(bodies);
    const target = rng.pick(['/', '/gate/check', '/gate/open']);
    return {
      what: `${what} to ${target}`,
      method: 'POST',
      path: target,
      body,
      mustRefuse: target === '/' ? refuseAtLoad : refuseAtGate,
    };
  }
  const odd: [string, string][] = [
    ['GET', '/healthz'],
    ['GET', '/metrics'],
    ['GET', '/gate/approve'],
    ['POST', '/gate/halt'],
    ['GET', '/'],
    ['PUT', '/gate/open'],
    ['DELETE', '/rollback/check'],
    ['GET', '/../../etc/passwd'],
    ['GET', '/%00'],
    ['GET', `/${'a'.repeat(60_000)}`],
    ['OPTIONS', '*'],
    ['GET', '//gate//check'],
  ];
  const [method, where] = rng.pick(odd);
  return { what: `${method} ${where.slice(0, 40)}`, method, path: where, mustRefuse: false };
}

function send(
  base: string,
  probe: Probe,
): Promise<{ status: number; body: string } | { error: string } | 'hang'> {
  return new Promise((resolve) => {
    const url = new URL(base);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: probe.method,
        path: probe.path,
        headers: { 'content-type': 'application/json', ...probe.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 64 * 1024) chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => resolve({ error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      resolve('hang');
    }, ANSWER_BOUND_MS);
    req.on('error', (error) => {
      clearTimeout(timer);
      resolve({ error: error.message });
    });
    req.end(probe.body);
  });
}

function judge(
  probe: Probe,
  answer: Awaited<ReturnType<typeof send>>,
  alive: boolean,
): Finding | undefined {
  const about = `for ${probe.what}`;
  if (answer === 'hang')
    return { kind: 'hang', detail: `no answer within ${ANSWER_BOUND_MS} ms ${about}` };
  if ('error' in answer) {
    return alive
      ? undefined
      : { kind: 'crash', detail: `the loadtester died (${answer.error}) ${about}` };
  }
  if (answer.status >= 500)
    return { kind: 'crash', detail: `HTTP ${answer.status} ${answer.body.slice(0, 120)} ${about}` };
  if (answer.status < 300 && probe.mustRefuse) {
    return {
      kind: 'accepted-but-invalid',
      detail: `HTTP ${answer.status} ${answer.body.slice(0, 120)} ${about}`,
    };
  }
  // A 403 from a check or from /gate/halt is a closed gate, not a refusal.
  const closedGate =
    answer.status === 403 && /^\/(gate\/(check|halt)|rollback\/check)$/.test(probe.path);
  if (answer.status >= 400 && answer.status < 500 && !closedGate) {
    let error: unknown;
    try {
      error = (JSON.parse(answer.body) as { error?: unknown }).error;
    } catch {
      error = undefined;
    }
    if (typeof error !== 'string' || error.trim() === '') {
      return {
        kind: 'unnamed',
        detail: `HTTP ${answer.status} ${answer.body.slice(0, 120)} ${about}`,
      };
    }
  }
  return undefined;
}

/** `fledge loadtester` as a process of its own (from dist/), bound to 127.0.0.1. */
export async function spawnLoadtester(): Promise<LoadtesterUnderTest> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(repoRoot(), 'bin', 'fledge'), 'loadtester', '--port', '0', '--host', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(
      () => reject(new Error('the loadtester did not start within 30 s')),
      30_000,
    );
    lines.on('line', (line) => {
      if (!line.includes('loadtester listening')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', () => reject(new Error('the loadtester exited at start')));
  });
  // Its logs are not read any further, but the pipe must not fill up and block it.
  child.stdout?.resume();
  let peak: number | undefined;
  const readPeak = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
      if (Number.isFinite(kib)) peak = Math.round(kib / 1024);
    } catch {
      // the process is gone: keep the last figure
    }
  };
  return {
    url,
    alive: () => !exited,
    peakMiB: () => {
      readPeak();
      return peak;
    },
    async stop() {
      readPeak();
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(force);
    },
  };
}

export async function runLoadtesterTarget(
  seed: number,
  count: number,
  start: () => Promise<LoadtesterUnderTest>,
): Promise<{ tally: Tally; notes: string[] }> {
  const tally = new Tally('loadtester');
  let sinkHits = 0;
  const sink = createServer((_req, res) => {
    sinkHits += 1;
    res.end('sink');
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkPort = (sink.address() as AddressInfo).port;
  let loadtester = await start();
  const notes: string[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const probe = generate(Random.forCase(seed, 'loadtester', index), sinkPort);
      const answer = await send(loadtester.url, probe);
      const finding = judge(probe, answer, loadtester.alive());
      tally.record(index, {
        finding,
        accepted: answer !== 'hang' && 'status' in answer && answer.status < 300,
      });
      if (!loadtester.alive()) {
        await loadtester.stop();
        loadtester = await start();
      }
    }
  } finally {
    const peak = loadtester.peakMiB();
    await loadtester.stop();
    sink.closeAllConnections();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
    notes.push(`the sink on 127.0.0.1 received ${sinkHits} requests of load`);
    if (peak !== undefined) notes.push(`the loadtester's peak resident memory: ${peak} MiB`);
  }
  return { tally, notes };
}
