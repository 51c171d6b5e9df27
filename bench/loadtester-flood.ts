import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './run.js';

const MEMORY_LIMIT_MIB = 256;
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const targetScript = fileURLToPath(new URL('./target-server.js', import.meta.url));

interface Phase {
  name: string;
  requests: number;
  concurrency: number;
  /** Path and body of the i-th request. */
  request(index: number): { path: string; body: Buffer };
  /** How long to keep sampling after the last answer, while started load runs. */
  settleMs?: number;
}

interface PhaseResult {
  name: string;
  answers: Map<string, number>;
  idleMiB: number;
  peakMiB: number;
  seconds: number;
  /** What the check of a gate opened before the flood answered: 200 while it is open. */
  sentinel: string;
}

/**
 * What an attacker or a runaway script can do to the loadtester's memory: gate opens with huge
 * and with distinct names, huge bodies, and many distinct load runs, each phase against a
 * fresh `fledge loadtester` process and a local target. Prints each phase's peak resident
 * memory against the pod's limit, and whether a gate opened before the flood is still open.
 */
export const loadtesterFloodBenchmark: Benchmark = {
  name: 'loadtester-flood',
  description: `fledge loadtester under floods of distinct keys, huge bodies and load runs (pod limit ${MEMORY_LIMIT_MIB} MiB)`,
  async run() {
    const target = await startChild(targetScript, [], (line) => line.trim());
    try {
      const results: PhaseResult[] = [];
      for (const phase of phases(`http://127.0.0.1:${target.ready}/`)) {
        results.push(await runPhase(phase));
      }
      return table(results);
    } finally {
      target.child.stdin?.end();
      target.child.kill();
    }
  },
};

async function runPhase(phase: Phase): Promise<PhaseResult> {
  const loadtester = await startChild(
    cli,
    ['loadtester', '--port', '0', '--allow-host', '127.0.0.1'],
    (line) => (JSON.parse(line) as { url?: string }).url,
  );
  const child = loadtester.child;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
  const send = (path: string, body: Buffer) => post(agent, `${loadtester.ready}${path}`, body);
  try {
    const sentinel = payload('sentinel', 'production', {});
    await send('/gate/open', sentinel);
    const idleMiB = rssMiB(child);
    const answers = new Map<string, number>();
    let peak = idleMiB;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(child));
    }, 20);
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < phase.requests) {
        const { path, body } = phase.request(next++);
        const answer = await send(path, body);
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: phase.concurrency }, worker));
    await new Promise((resolve) => setTimeout(resolve, phase.settleMs ?? 200));
    clearInterval(sampler);
    peak = Math.max(peak, rssMiB(child));
    const seconds = (performance.now() - started) / 1e3;
    const gone = child.exitCode !== null || child.signalCode !== null;
    const check = gone
      ? `exited (${child.exitCode ?? child.signalCode})`
      : await send('/gate/check', sentinel);
    return { name: phase.name, answers, idleMiB, peakMiB: peak, seconds, sentinel: check };
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await once(child, 'exit').catch(() => undefined);
  }
}

function phases(targetUrl: string): Phase[] {
  const mib = 1024 * 1024;
  const longName = (index: number) => `n${String(index).padStart(6, '0')}-${'x'.repeat(240)}`;
  const run = (name: string, metadata: Record<string, string>) => ({
    path: '/',
    body: payload(name, 'production', { type: 'autocannon', url: targetUrl, ...metadata }),
  });
  return [
    {
      name: '300 gate opens, 1 MiB names',
      requests: 300,
      concurrency: 20,
      request: (i) => ({
        path: '/gate/open',
        body: payload(`${i}-${'a'.repeat(mib - 200)}`, 'production', {}),
      }),
    },
    {
      name: '12000 gate opens, distinct 250-char names',
      requests: 12_000,
      concurrency: 50,
      request: (i) => ({ path: '/gate/open', body: payload(longName(i), 'production', {}) }),
    },
    {
      name: '200 load webhooks, 1 MiB bodies',
      requests: 200,
      concurrency: 100,
      settleMs: 3_000,
      request: (i) => run(`big-${i}`, { body: 'b'.repeat(mib - 300), duration: '15s' }),
    },
    {
      name: '100 runs, 50 connections, 64 KiB bodies',
      requests: 100,
      concurrency: 10,
      settleMs: 3_000,
      request: (i) =>
        run(`run-${i}`, {
          rps: '50',
          connections: '50',
          duration: '15s',
          method: 'POST',
          body: 'r'.repeat(64 * 1024 - 1),
        }),
    },
    {
      name: '100 runs, 1 connection each',
      requests: 100,
      concurrency: 10,
      settleMs: 3_000,
      request: (i) => run(`one-${i}`, { rps: '1', duration: '15s' }),
    },
    {
      name: '5 runs, 1000 connections each',
      requests: 5,
      concurrency: 5,
      settleMs: 3_000,
      request: (i) => run(`wide-${i}`, { rps: '1000', connections: '1000', duration: '6s' }),
    },
  ];
}

function payload(name: string, namespace: string, metadata: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify({ name, namespace, phase: 'Progressing', metadata }));
}

function post(agent: http.Agent, url: string, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
        res.on('error', () => resolve('reset'));
      },
    );
    request.on('error', () => resolve('reset'));
    request.end(body);
  });
}

/** Resident memory of a process in MiB, from /proc; 0 once it is gone. */
function rssMiB(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Starts a node script and waits for the first stdout line that `ready` reads a value from. */
function startChild(
  script: string,
  args: string[],
  ready: (line: string) => string | undefined,
): Promise<{ child: ChildProcess; ready: string }> {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    // The reader keeps draining its log afterwards, so a chatty process never blocks on a pipe.
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    lines.on('line', (line) => {
      let value: string | undefined;
      try {
        value = ready(line);
      } catch {
        value = undefined;
      }
      if (value) resolve({ child, ready: value });
    });
    child.once('exit', () => reject(new Error(`${script} exited before it was ready`)));
  });
}

function table(results: PhaseResult[]): string[] {
  const rows = results.map((result) => [
    result.name,
    [...result.answers].map(([status, count]) => `${count}x${status}`).join(' '),
    `${result.idleMiB.toFixed(0)} MiB`,
    `${result.peakMiB.toFixed(0)} MiB`,
    `${result.seconds.toFixed(1)} s`,
    result.sentinel,
  ]);
  const header = ['phase (fresh process each)', 'answers', 'before', 'peak RSS', 'time', 'gate'];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (values: string[]) =>
    values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ');
  return [
    line(header),
    ...rows.map(line),
    'gate: what checking a gate opened before the flood answered (200: still open)',
  ];
}
