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
  peakMiB: number;
  seconds: number;
}

/**
 * What an attacker or a runaway script can do to the loadtester's memory: gate opens with huge
 * and with distinct names, huge bodies, and many distinct load runs with big request bodies, all
 * against a real `fledge loadtester` process and a local target. Prints the peak resident
 * memory of each phase against the pod's limit, and whether a gate opened first is still open.
 */
export const loadtesterFloodBenchmark: Benchmark = {
  name: 'loadtester-flood',
  description: `fledge loadtester under floods of distinct keys, huge bodies and load runs (pod limit ${MEMORY_LIMIT_MIB} MiB)`,
  async run() {
    const target = await startChild(targetScript, [], (line) => line.trim());
    const loadtester = await startChild(
      cli,
      ['loadtester', '--port', '0', '--allow-host', '127.0.0.1'],
      (line) => (JSON.parse(line) as { url?: string }).url,
    );
    const targetUrl = `http://127.0.0.1:${target.ready}/`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
    const send = (path: string, body: Buffer) => post(agent, `${loadtester.ready}${path}`, body);
    try {
      const idleMiB = rssMiB(loadtester.child);
      const sentinel = payload('sentinel', 'production', {});
      const opened = await send('/gate/open', sentinel);
      const results: PhaseResult[] = [];
      for (const phase of phases(targetUrl)) {
        results.push(await runPhase(phase, loadtester.child, send));
        if (loadtester.child.exitCode !== null || loadtester.child.signalCode !== null) break;
      }
      const alive = loadtester.child.exitCode === null && loadtester.child.signalCode === null;
      const check = alive ? await send('/gate/check', sentinel) : 'process gone';
      return [
        `idle: ${idleMiB.toFixed(0)} MiB resident; sentinel gate opened with ${opened}`,
        ...table(results),
        alive
          ? `after the floods: the sentinel gate check answers ${check} (200 = still open)`
          : `the loadtester exited (${loadtester.child.exitCode ?? loadtester.child.signalCode}) during the floods`,
      ];
    } finally {
      agent.destroy();
      loadtester.child.kill('SIGTERM');
      target.child.stdin?.end();
      target.child.kill();
      await once(loadtester.child, 'exit').catch(() => undefined);
    }
  },
};

function phases(targetUrl: string): Phase[] {
  const mib = 1024 * 1024;
  const longName = (index: number) => `n${String(index).padStart(6, '0')}-${'x'.repeat(240)}`;
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
      name: '20000 gate opens, distinct 250-char names',
      requests: 20_000,
      concurrency: 50,
      request: (i) => ({ path: '/gate/open', body: payload(longName(i), 'production', {}) }),
    },
    {
      name: '400 load webhooks, 1 MiB bodies',
      requests: 400,
      concurrency: 100,
      request: (i) => ({
        path: '/',
        body: payload(`big-${i}`, 'production', {
          type: 'autocannon',
          url: targetUrl,
          body: 'b'.repeat(mib - 300),
        }),
      }),
    },
    {
      name: '100 distinct runs, 50 connections, 64 KiB body',
      requests: 100,
      concurrency: 10,
      settleMs: 3_000,
      request: (i) => ({
        path: '/',
        body: payload(`run-${i}`, 'production', {
          type: 'autocannon',
          url: targetUrl,
          rps: '50',
          connections: '50',
          duration: '15s',
          method: 'POST',
          body: 'r'.repeat(64 * 1024 - 1),
        }),
      }),
    },
  ];
}

function payload(name: string, namespace: string, metadata: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify({ name, namespace, phase: 'Progressing', metadata }));
}

async function runPhase(
  phase: Phase,
  child: ChildProcess,
  send: (path: string, body: Buffer) => Promise<string>,
): Promise<PhaseResult> {
  const answers = new Map<string, number>();
  let peak = rssMiB(child);
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
  return { name: phase.name, answers, peakMiB: peak, seconds: (performance.now() - started) / 1e3 };
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
    `${result.peakMiB.toFixed(0)} MiB`,
    `${result.seconds.toFixed(1)} s`,
  ]);
  const header = ['phase', 'answers', 'peak RSS', 'time'];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (values: string[]) =>
    values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), ...rows.map(line)];
}
