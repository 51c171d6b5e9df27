import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { waitFor } from '../../support/wait.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/fledge');

export interface DashboardProcess {
  /** The address `fledge dashboard` printed, with its token in the fragment. */
  url: string;
  /** The same without the fragment. */
  origin: string;
  token: string;
  stop(): Promise<void>;
}

/** `fledge dashboard` as a user runs it, on a free port, against the e2e playground. */
export async function startDashboardProcess(args: string[]): Promise<DashboardProcess> {
  const child = spawn(process.execPath, [cli, 'dashboard', '--port', '0', ...args], {
    env: { ...process.env, KUBECONFIG: inject('KUBECONFIG') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await waitFor(
    'fledge dashboard to print its address',
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`fledge dashboard exited ${child.exitCode}: ${stderr.slice(-2000)}`);
      }
      return /^open (http:\/\/\S+)$/m.exec(stdout)?.[1];
    },
    { timeoutMs: 30_000 },
  );
  const parsed = new URL(url);
  return {
    url,
    origin: `${parsed.origin}/`,
    token: new URLSearchParams(parsed.hash.slice(1)).get('token') ?? '',
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
