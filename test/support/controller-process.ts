import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/playground/paths.js';
import { waitFor } from './wait.js';

// From the sources under vitest and from dist/ alike.
const cli = path.join(packageRoot(), 'bin', 'fledge');

const setpriv = '/usr/bin/setpriv';

/** Kept per process: enough to find its start, its identity and its leadership changes. */
const maxLogLines = 20_000;

export interface ControllerProcess {
  pid: number;
  /** Where its stdout and stderr go, for a failing test to point at. */
  logFile: string;
  /** Its JSON log lines so far (the most recent ones past a bound). */
  logs(): Array<Record<string, unknown>>;
  /** The /metrics, /healthz and /readyz address, once it listens. */
  url(): Promise<string>;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) unless it has exited, and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ControllerProcessOptions {
  kubeconfig: string;
  prometheusUrl: string;
  meshProxy: string;
  namespaces: string[];
  /** Where its log goes: `<logDir>/controller-<pid>.log`. */
  logDir: string;
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  leaseDuration?: string;
  extraArgs?: string[];
  /** Added to its environment; HOSTNAME, for one, prefixes its Lease identity. */
  env?: Record<string, string>;
}

/**
 * `fledge controller` from this checkout's dist/, as its own process, as it would run in a
 * pod: a test or a chaos run can SIGKILL it, run two of them, and read its logs.
 */
export function startControllerProcess(options: ControllerProcessOptions): ControllerProcess {
  const args = [
    cli,
    'controller',
    '--kubeconfig',
    options.kubeconfig,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--resync',
    '5s',
    '--poll',
    '250ms',
    ...options.namespaces.flatMap((ns) => ['--namespace', ns]),
    ...(options.leaderElect
      ? [
          '--lease-namespace',
          options.leaseNamespace ?? 'default',
          '--lease-name',
          options.leaseName ?? 'fledge-controller',
          '--lease-duration',
          options.leaseDuration ?? '3s',
        ]
      : ['--no-leader-elect']),
    ...(options.extraArgs ?? []),
  ];
  // setpriv execs node in its own place (same pid): the kernel kills the controller when
  // its parent dies, so a crashed test or chaos run leaves no replica behind.
  const [command, argv] = existsSync(setpriv)
    ? [setpriv, ['--pdeathsig', 'KILL', '--', process.execPath, ...args]]
    : [process.execPath, args];
  const child: ChildProcess = spawn(command, argv, {
    env: {
      ...process.env,
      FLEDGE_PROMETHEUS_URL: options.prometheusUrl,
      FLEDGE_MESH_PROXY: options.meshProxy,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  mkdirSync(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, `controller-${child.pid}.log`);
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
    if (lines.length > maxLogLines) lines.splice(0, lines.length - maxLogLines);
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    pid: child.pid ?? 0,
    logFile,
    logs: () => lines,
    exited,
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
