import { spawn } from 'node:child_process';
import { inject } from 'vitest';

export class KubectlError extends Error {
  override readonly name = 'KubectlError';
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`kubectl ${args.join(' ')} exited ${exitCode}: ${stderr.trim()}`);
  }
}

export interface KubectlOptions {
  /** Fed to stdin, e.g. a manifest for `apply -f -`. */
  input?: string;
  kubeconfigPath?: string;
  timeoutMs?: number;
}

/** Runs the machine's kubectl against the playground; resolves with stdout, rejects with stderr. */
export function kubectl(args: string[], options: KubectlOptions = {}): Promise<string> {
  const kubeconfig = options.kubeconfigPath ?? inject('KUBECONFIG');
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new KubectlError(args, code, stderr));
    });
    child.stdin.end(options.input ?? '');
  });
}

export const kubectlApply = (manifest: string, namespace?: string) =>
  kubectl([...(namespace ? ['-n', namespace] : []), 'apply', '-f', '-'], { input: manifest });
