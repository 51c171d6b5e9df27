import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLoad } from '../src/loadtester/engine.js';
import { createLoadtesterMetrics } from '../src/loadtester/metrics.js';
import { directDestination } from '../src/loadtester/target.js';
import type { Benchmark } from './run.js';

const HEY = '/usr/bin/hey';
const CONNECTIONS = 50;
const DURATION_SECONDS = 5;

interface Measure {
  tool: string;
  requests: number;
  failures: number;
  seconds: number;
  rps: number;
}

export const loadtesterBenchmark: Benchmark = {
  name: 'loadtester',
  description: `fledge's load engine (autocannon) vs hey, unthrottled, ${CONNECTIONS} connections, ${DURATION_SECONDS} s each, same local target`,
  async run() {
    const loadBefore = loadavg()[0] ?? 0;
    const target = await startTarget();
    try {
      await measureEngine(target.url, 1);
      const engine = await measureEngine(target.url, DURATION_SECONDS);
      const hey = await measureHey(target.url, DURATION_SECONDS);
      return [
        `machine: ${availableParallelism()} CPUs, load average ${loadBefore.toFixed(1)} before the run (other work skews both tools)`,
        ...table([engine, hey]),
        `ratio fledge/hey (requests per second): ${(engine.rps / hey.rps).toFixed(2)}`,
      ];
    } finally {
      target.process.stdin?.end();
      target.process.kill();
    }
  },
};

async function startTarget(): Promise<{ url: string; process: ChildProcess }> {
  const script = fileURLToPath(new URL('./target-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout ?? child, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/`, process: child };
}

async function measureEngine(url: string, seconds: number): Promise<Measure> {
  const metrics = createLoadtesterMetrics({
    activeRuns: () => 1,
    openGates: () => 0,
    loadMemoryBytes: () => 0,
  });
  const load = startLoad(
    {
      destination: directDestination(new URL(url), '127.0.0.1'),
      method: 'GET',
      headers: {},
      body: undefined,
      rps: undefined,
      connections: CONNECTIONS,
      durationMs: seconds * 1_000,
    },
    { onResponse: metrics.response, onError: metrics.transportError },
  );
  const summary = await load.summary;
  return {
    tool: 'fledge loadtester (autocannon)',
    requests: summary.requests,
    failures: summary.non2xx + summary.errors,
    seconds: summary.durationSeconds,
    rps: summary.rps,
  };
}

async function measureHey(url: string, seconds: number): Promise<Measure> {
  const { stdout } = await promisify(execFile)(
    HEY,
    ['-z', `${seconds}s`, '-c', String(CONNECTIONS), url],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const total = Number(/Total:\s+([\d.]+) secs/.exec(stdout)?.[1]);
  const ok = Number(/\[200\]\s+(\d+) responses/.exec(stdout)?.[1] ?? 0);
  const errors = [...stdout.matchAll(/\[(\d+)\]\s+(\d+) (?:responses|errors)/g)]
    .filter(([, code]) => code !== '200')
    .reduce((sum, [, , count]) => sum + Number(count), 0);
  if (!Number.isFinite(rps) || !Number.isFinite(total)) {
    throw new Error(`could not read hey's summary; its output was:\n${stdout}`);
  }
  return { tool: 'hey', requests: ok + errors, failures: errors, seconds: total, rps };
}

function table(rows: Measure[]): string[] {
  const header = ['tool', 'requests', 'failures', 'seconds', 'requests/s'];
  const cells = rows.map((row) => [
    row.tool,
    String(row.requests),
    String(row.failures),
    row.seconds.toFixed(2),
    row.rps.toFixed(0),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((cell) => cell[i]?.length ?? 0)),
  );
  const line = (values: string[]) =>
    values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), ...cells.map(line)];
}
