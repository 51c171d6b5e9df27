import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { type LoadtesterOptions, startLoadtester } from '../../../src/loadtester/server.js';
import { fakeDns, startTarget } from './servers.js';

/** Stops what a test started, after each test of the file that calls it. */
function cleanupAfterEach() {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** What the loadtester logged, as parsed JSON lines. */
export function logLines() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

export type TestLoadtester = Awaited<ReturnType<typeof startLoadtester>>;

/**
 * Starts loadtesters and targets for one test and stops them after it: a loadtester on
 * 127.0.0.1 that may load 127.0.0.1 (the local targets), with a DNS that knows no name unless
 * the test gives one.
 */
export function serversAfterEach() {
  const cleanups = cleanupAfterEach();
  return {
    /** Anything else the test started, stopped after it in reverse order. */
    cleanups,
    async loadtester(options: Partial<LoadtesterOptions> = {}): Promise<TestLoadtester> {
      const started = await startLoadtester({
        port: 0,
        host: '127.0.0.1',
        allowHosts: ['127.0.0.1'],
        lookup: fakeDns({}).lookup,
        logger: pino({ level: 'silent' }),
        ...options,
      });
      cleanups.push(() => started.stop());
      return started;
    },
    async target(opts: Parameters<typeof startTarget>[0] = {}) {
      const started = await startTarget(opts);
      cleanups.push(() => started.close());
      return started;
    },
  };
}

export interface ReplyBody {
  message?: string;
  error?: string;
  field?: string;
  result?: string;
  joined?: boolean;
  startedAt?: string;
  errorRate?: number;
  summary: { requests: number; failed: number; durationSeconds: number; rps: number };
  [key: string]: unknown;
}

export async function post(
  lt: { url: string },
  path: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: ReplyBody; headers: Headers }> {
  const response = await fetch(`${lt.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return {
    status: response.status,
    body: (await response.json()) as ReplyBody,
    headers: response.headers,
  };
}

export function webhook(metadata: Record<string, string>, name = 'api') {
  return { name, namespace: 'production', phase: 'Progressing', checksum: 'c1', metadata };
}

export async function metricValue(lt: { url: string }, sample: string): Promise<number> {
  const text = await (await fetch(`${lt.url}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}
