/**
 * A real Prometheus (Debian's /usr/bin/prometheus, or FLEDGE_PROMETHEUS_BIN) scraping a tiny
 * local exporter every second, for adapter tests of what fledge asks Prometheus. Bound to
 * 127.0.0.1, its storage in a temporary directory removed by `stop`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PROMETHEUS = process.env.FLEDGE_PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface RealPrometheus {
  address: string;
  /** What Prometheus wrote to stderr, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export async function waitFor<T>(
  what: string,
  deadlineMs: number,
  probe: () => Promise<T | undefined>,
  log: () => string = () => '',
): Promise<T> {
  const until = Date.now() + deadlineMs;
  let lastError = 'none';
  while (Date.now() < until) {
    const value = await probe().catch((error: unknown) => {
      lastError = error instanceof Error ? error.message : String(error);
      return undefined;
    });
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${what} not within ${deadlineMs} ms; last error: ${lastError}; Prometheus said:\n${log().slice(-2000)}`,
  );
}

/**
 * Waits until Prometheus holds `count` scrapes of its exporter, asked through the provider a
 * test reads with, so that a window of series lies behind every query the test makes.
 */
export function scraped(
  prometheus: RealPrometheus,
  provider: { query(query: string): Promise<number | null> },
  count: number,
  deadlineMs = 60_000,
): Promise<number> {
  return waitFor(
    `${count} scrapes`,
    deadlineMs,
    async () => {
      const scrapes = await provider.query('count_over_time(up[1m])');
      return scrapes !== null && scrapes >= count ? scrapes : undefined;
    },
    () => prometheus.log(),
  );
}

/** Starts the exporter (`exposition` gets the seconds since it started) and Prometheus. */
export async function startPrometheus(
  exposition: (elapsedSeconds: number) => string,
): Promise<RealPrometheus> {
  const started = Date.now();
  const exporter: Server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(exposition((Date.now() - started) / 1000));
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const exporterAddress = exporter.address();
  const exporterPort =
    typeof exporterAddress === 'object' && exporterAddress ? exporterAddress.port : 0;
  const storage = await mkdtemp(join(tmpdir(), 'fledge-prometheus-'));
  const config = join(storage, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      'scrape_configs:',
      '  - job_name: mesh',
      `    static_configs: [{targets: ["127.0.0.1:${exporterPort}"]}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const prometheus: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(storage, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  prometheus.on('error', (error) => {
    log += `could not start ${PROMETHEUS}: ${error.message} (install Debian's prometheus: scripts/setup.sh)\n`;
  });
  prometheus.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const address = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      const forced = setTimeout(() => prometheus.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(forced);
    }
    await new Promise((resolve) => exporter.close(resolve));
    await rm(storage, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'Prometheus ready',
      60_000,
      async () => ((await fetch(`${address}/-/ready`)).ok ? true : undefined),
      () => log,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, log: () => log, stop };
}
