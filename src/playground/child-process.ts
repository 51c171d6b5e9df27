import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';

export interface ProcessSpec {
  /** Short name for logs and errors: "etcd", "kube-apiserver". */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: Record<string, string>;
  cwd?: string;
}

export interface ChildProcessHandle {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends, whoever ended it. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

const setpriv = '/usr/bin/setpriv';
const stopGraceMs = 5_000;

/**
 * Starts a process in its own process group, output appended to its log file. Under
 * setpriv --pdeathsig the kernel kills it when its parent dies, so a crashed supervisor or
 * test runner leaves no etcd or API server behind; `stop()` ends the whole group.
 */
export async function startProcess(spec: ProcessSpec, logger: Logger): Promise<ChildProcessHandle> {
  const log = await open(spec.logFile, 'a');
  const [command, args] = existsSync(setpriv)
    ? [setpriv, ['--pdeathsig', 'KILL', '--', spec.command, ...spec.args]]
    : [spec.command, spec.args];
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', log.fd, log.fd],
    detached: true,
  });
  // Every listener goes on before the first await: a process that cannot start or dies at
  // once emits 'error' or 'exit' while the log file is being closed, and an event emitted
  // before its listener is attached is never seen.
  const spawned = new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number));
    child.once('error', (error) => {
      const where = spec.cwd ? ` in ${spec.cwd}` : '';
      reject(new Error(`could not start ${spec.name} (${spec.command}${where}): ${error.message}`));
    });
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const [pid] = await Promise.all([spawned, log.close()]);
  let stopping = false;
  exited.then((status) => {
    if (!stopping) logger.warn({ process: spec.name, pid, status }, 'process exited');
  });
  logger.debug({ process: spec.name, pid, logFile: spec.logFile }, 'process started');
  return {
    name: spec.name,
    pid,
    logFile: spec.logFile,
    exited,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), stopGraceMs);
      await exited;
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL');
    },
  };
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last lines of a log file, for error messages that point at the cause. */
export async function logTail(logFile: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
