import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { waitFor } from './wait.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/fledge');

export interface ControllerProcess {
  pid: number;
  /** Where its stdout and stderr go, for a failing test to point at. */
  logFile: string;
  /** Every JSON log line so far. */
  logs(): Array<Record<string, unknown>>;
  /** The /metrics, /healthz and /readyz address, once it listens. */
  url(): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ControllerFlags {
  namespaces: string[];
  leaderElect?: boolean;
  leaseName?: string;
  leaseDuration?: string;
  prometheusUrl?: string;
  /** Another playground's cluster (default: the shared e2e playground's). */
  kubeconfig?: string;
  meshProxy?: string;
  extraArgs?: string[];
}

/**
 * `fledge controller` as its own process against the playground, as it would run in a pod:
 * the tests can SIGKILL it, run two of them, and read its logs.
 */
export function startController(flags: ControllerFlags): ControllerProcess {
  const args = [
    cli,
    'controller',
    '--kubeconfig',
    flags.kubeconfig ?? inject('KUBECONFIG'),
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--resync',
    '5s',
    '--poll',
    '250ms',
    ...flags.namespaces.flatMap((ns) => ['--namespace', ns]),
    ...(flags.leaderElect
      ? [
          '--lease-namespace',
          'default',
          '--lease-name',
          flags.leaseName ?? 'fledge-e2e',
          '--lease-duration',
          flags.leaseDuration ?? '3s',
        ]
      : ['--no-leader-elect']),
    ...(flags.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: {
      ...process.env,
      FLEDGE_PROMETHEUS_URL: flags.prometheusUrl ?? inject('FLEDGE_PROMETHEUS_URL'),
      FLEDGE_MESH_PROXY: flags.meshProxy ?? inject('FLEDGE_MESH_PROXY'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logDir = path.join(tmpdir(), 'fledge-e2e');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `controller-${child.pid}.log`);
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? 0,
    logFile,
    logs: () => lines,
    url: () =>
      waitFor(
        'the controller to listen',
        async () => {
          if (child.exitCode !== null) {
            throw new Error(
              `controller exited ${child.exitCode} (log: ${logFile}): ${stderr.slice(-2000)}`,
            );
          }
          const started = lines.find((l) => l.msg === 'fledge controller started');
          return typeof started?.url === 'string' ? started.url : undefined;
        },
        { timeoutMs: 30_000 },
      ),
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
