import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MissingBinariesError, missingBinaries } from './binaries.js';
import { killGroup, logTail } from './child-process.js';
import { packageRoot, playgroundStateDir } from './paths.js';
import {
  type PlaygroundState,
  type RecordedProcess,
  readState,
  removeState,
  stillRunning,
} from './state-file.js';

export interface UpOptions {
  name: string;
  clusters?: string[];
  /** Run the fledge controller and loadtester inside (default true). */
  fledge?: boolean;
  /** Progress lines for a person; the env itself is returned. */
  progress?: (line: string) => void;
}

/** The standalone playground CLI the detached supervisor runs as (`playground run`). */
export const supervisorEntry = () =>
  path.join(packageRoot(), 'dist', 'src', 'playground', 'cli.js');

/**
 * `fledge playground up`: builds the cluster binaries if needed, starts a detached
 * supervisor and waits until it reports the playground ready. A playground that already runs
 * is left alone and its env returned; the leftovers of one that died are cleaned up first.
 */
export async function playgroundUp(options: UpOptions): Promise<Record<string, string>> {
  const progress = options.progress ?? (() => {});
  const stateDir = playgroundStateDir(options.name);
  const current = await readState(stateDir);
  if (current && stillRunning(current.supervisor)) {
    if (current.status === 'ready') {
      progress(`playground "${options.name}" is already running`);
      return current.env;
    }
    if (current.status === 'starting') {
      progress(`playground "${options.name}" is starting; waiting for it`);
      return waitUntilReady(stateDir, options.name);
    }
  }
  if (current) {
    await stopRecorded(current);
    await removeState(stateDir);
  }

  await ensureKubeBinaries(progress);
  const missing = await missingBinaries(['etcd', 'prometheus']);
  if (missing.length > 0) throw new MissingBinariesError(missing);

  const entry = supervisorEntry();
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`npm run build\` (or \`npm run setup\`) first`);
  }
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const supervisorLog = path.join(stateDir, 'supervisor.log');
  const log = await open(supervisorLog, 'w');
  const args = [entry, 'playground', 'run', '--name', options.name];
  if (options.clusters) args.push('--clusters', options.clusters.join(','));
  if (options.fledge === false) args.push('--no-fledge');
  progress(`starting playground "${options.name}" (logs in ${stateDir})`);
  const supervisor = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
  });
  let exited = false;
  supervisor.once('exit', () => {
    exited = true;
  });
  // 'spawn' fires on the next tick: listen before awaiting anything else.
  const spawned = new Promise<void>((resolve, reject) => {
    supervisor.once('spawn', resolve);
    supervisor.once('error', (error) =>
      reject(new Error(`could not start the playground supervisor: ${error.message}`)),
    );
  });
  await log.close();
  supervisor.unref();
  await spawned;
  return waitUntilReady(stateDir, options.name, () => exited);
}

const readyTimeoutMs = 180_000;

async function waitUntilReady(
  stateDir: string,
  name: string,
  supervisorExited: () => boolean = () => false,
): Promise<Record<string, string>> {
  const supervisorLog = path.join(stateDir, 'supervisor.log');
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    const state = await readState(stateDir);
    if (state?.status === 'ready') return state.env;
    if (state?.status === 'failed') {
      throw new Error(
        `playground "${name}" failed to start: ${state.error}\n(see ${supervisorLog}; \`fledge playground down --name ${name}\` cleans up)`,
      );
    }
    if (supervisorExited() || (state && !stillRunning(state.supervisor))) {
      throw new Error(
        `the playground supervisor of "${name}" died while starting; the end of ${supervisorLog}:\n${await logTail(supervisorLog)}`,
      );
    }
    await sleep(200);
  }
  throw new Error(
    `playground "${name}" was not ready within ${readyTimeoutMs / 1000} s; see ${supervisorLog}, then \`fledge playground down --name ${name}\``,
  );
}

/** Builds kube-apiserver and kube-controller-manager once per machine, showing the script's progress. */
async function ensureKubeBinaries(progress: (line: string) => void): Promise<void> {
  if ((await missingBinaries(['kubeApiserver', 'kubeControllerManager'])).length === 0) return;
  const script = path.join(packageRoot(), 'scripts', 'build-kube.sh');
  progress(`building kube-apiserver and kube-controller-manager with ${script}`);
  const child = spawn('bash', [script], { stdio: ['ignore', 2, 2] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('exit', resolve);
    child.once('error', reject);
  });
  if (code !== 0) {
    throw new Error(`${script} failed (exit ${code}); its output above says why`);
  }
}

/**
 * `fledge playground down`: asks the supervisor to stop everything, then makes sure every
 * process it had recorded is gone; with `purge`, removes its state directory too. Returns
 * false when nothing was running.
 */
export async function playgroundDown(
  name: string,
  options: { purge?: boolean } = {},
): Promise<boolean> {
  const stateDir = playgroundStateDir(name);
  const state = await readState(stateDir);
  if (state) {
    await stopRecorded(state);
    await removeState(stateDir);
  }
  // Without purge, etcd's data and the logs stay for a post-mortem; the next `up` starts afresh anyway.
  if (options.purge) await rm(stateDir, { recursive: true, force: true });
  return state !== undefined;
}

async function stopRecorded(state: PlaygroundState): Promise<void> {
  if (stillRunning(state.supervisor)) {
    process.kill(state.supervisor.pid, 'SIGTERM');
    await waitGone([state.supervisor], 20_000);
  }
  if (stillRunning(state.supervisor)) killGroup(state.supervisor.pid, 'SIGKILL');
  const children = state.status === 'ready' ? state.processes : [];
  for (const child of children.filter(stillRunning)) killGroup(child.pid, 'SIGKILL');
  await waitGone([state.supervisor, ...children], 5_000);
}

async function waitGone(processes: RecordedProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processes.some(stillRunning) && Date.now() < deadline) await sleep(100);
}

/** `fledge playground env`: the exports of a running playground, or an error saying how to start one. */
export async function playgroundEnv(name: string): Promise<Record<string, string>> {
  const state = await readState(playgroundStateDir(name));
  if (state?.status === 'ready' && stillRunning(state.supervisor)) return state.env;
  throw new Error(
    `playground "${name}" is not running; start it with \`fledge playground up${name === 'playground' ? '' : ` --name ${name}`}\``,
  );
}
