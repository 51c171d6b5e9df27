import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const entry = path.join(repoRoot, 'dist/src/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Collected {
  stdout(): string;
  result: Promise<CliResult>;
}

const collected = new WeakMap<ChildProcess, Collected>();

/**
 * The built CLI as a user runs it: a separate process, so exit codes are real. Its output and
 * exit are collected from the start, so `finished` and `untilOutput` may come any time later.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`npm run build\` before the CLI adapter tests`);
  }
  const child = spawn(process.execPath, [entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  // A test that never asks for the result must not turn a failed spawn into an unhandled rejection.
  result.catch(() => {});
  collected.set(child, { stdout: () => stdout, result });
  return child;
}

function collectedFrom(child: ChildProcess): Collected {
  const found = collected.get(child);
  if (!found) throw new Error('finished() and untilOutput() take a process from startCli()');
  return found;
}

export function finished(child: ChildProcess): Promise<CliResult> {
  return collectedFrom(child).result;
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdin?: string,
): Promise<CliResult> {
  const child = startCli(args, env);
  const result = finished(child);
  child.stdin?.end(stdin);
  return result;
}

/** A copy of a kubeconfig whose current context has a default namespace, as `kubectl config set-context --current --namespace` makes. */
export async function kubeconfigWithNamespace(
  source: string,
  target: string,
  namespace: string,
): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const config = parse(await readFile(source, 'utf8')) as {
    'current-context': string;
    contexts: { name: string; context: Record<string, unknown> }[];
  };
  for (const context of config.contexts) {
    if (context.name === config['current-context']) context.context.namespace = namespace;
  }
  await writeFile(target, stringify(config));
  return target;
}

/** Resolves once the process has written `pattern` to stdout, counting what it wrote before the call. */
export function untilOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<void> {
  const { stdout } = collectedFrom(child);
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(stdout())) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      resolve();
    };
    const timer = setTimeout(() => {
      child.stdout?.off('data', check);
      reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; got: ${stdout()}`));
    }, timeoutMs);
    child.stdout?.on('data', check);
    check();
  });
}
