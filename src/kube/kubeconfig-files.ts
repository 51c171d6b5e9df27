import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { ExecConfig } from './exec-credential.js';

/** A kubeconfig's cluster entry, with kubectl's field names. */
export interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

/** A kubeconfig's user entry (AuthInfo), with kubectl's field names. */
export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  as?: string;
  'as-groups'?: string[];
  exec?: ExecConfig;
  'auth-provider'?: { name: string; config?: Record<string, string> };
}

export interface KubeconfigContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** One or more kubeconfig files merged as kubectl merges them, paths made absolute. */
export interface MergedKubeconfig {
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
  currentContext?: string;
  /** Where it came from, for messages: file paths, or "in-cluster service account". */
  sources: string[];
}

export interface KubeconfigSearch {
  /** `--kubeconfig`: this file alone, which must exist. */
  kubeconfigPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Where ~/.kube/config is looked for (default: $HOME, else the user's home). */
  home?: string;
  /** The mounted service account, for the in-cluster fallback. */
  serviceAccountDir?: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Finds the kubeconfig as kubectl does: `--kubeconfig`, else every file KUBECONFIG lists that
 * exists, else ~/.kube/config, else the pod's service account (KUBERNETES_SERVICE_HOST and a
 * mounted token). Undefined when there is none of these.
 */
export function findKubeconfig(search: KubeconfigSearch = {}): MergedKubeconfig | undefined {
  const env = search.env ?? process.env;
  if (search.kubeconfigPath) {
    if (!existsSync(search.kubeconfigPath)) {
      throw new Error(`kubeconfig ${search.kubeconfigPath} does not exist; fix --kubeconfig`);
    }
    return mergeFiles([search.kubeconfigPath]);
  }
  if (env.KUBECONFIG) {
    // kubectl skips listed files that do not exist (a per-project file not yet written).
    const files = env.KUBECONFIG.split(path.delimiter).filter((f) => f && existsSync(f));
    if (files.length > 0) return mergeFiles(files);
  }
  const home = search.home ?? env.HOME ?? os.homedir();
  const homeConfig = path.join(home, '.kube', 'config');
  if (!env.KUBECONFIG && existsSync(homeConfig)) return mergeFiles([homeConfig]);
  return inCluster(env, search.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
}

/**
 * Merges files as kubectl does: the first file to define a cluster, user or context by a name
 * wins, and so does the first current-context set.
 */
export function mergeFiles(files: string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    sources: files,
  };
  for (const file of files) {
    const raw = readConfigFile(file);
    const dir = path.dirname(path.resolve(file));
    merged.currentContext ||= stringField(raw, 'current-context', file);
    for (const [name, cluster] of entries<KubeconfigCluster>(raw, 'clusters', 'cluster', file)) {
      if (merged.clusters.has(name)) continue;
      merged.clusters.set(name, absolute(cluster, ['certificate-authority'], dir));
    }
    for (const [name, user] of entries<KubeconfigUser>(raw, 'users', 'user', file)) {
      if (merged.users.has(name)) continue;
      const resolved = absolute(user, ['client-certificate', 'client-key', 'tokenFile'], dir);
      // kubectl resolves a command given as a relative path (one with a separator) against
      // the kubeconfig's directory; a bare name is looked up on PATH.
      const command = resolved.exec?.command;
      if (command?.includes('/') && !path.isAbsolute(command)) {
        resolved.exec = { ...resolved.exec, command: path.join(dir, command) } as ExecConfig;
      }
      merged.users.set(name, resolved);
    }
    for (const [name, context] of entries<KubeconfigContext>(raw, 'contexts', 'context', file)) {
      if (!merged.contexts.has(name)) merged.contexts.set(name, context);
    }
  }
  return merged;
}

function inCluster(env: NodeJS.ProcessEnv, dir: string): MergedKubeconfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const namespaceFile = path.join(dir, 'namespace');
  const namespace = existsSync(namespaceFile)
    ? readFileSync(namespaceFile, 'utf8').trim()
    : undefined;
  const name = 'in-cluster';
  return {
    clusters: new Map([
      [
        name,
        {
          server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
          'certificate-authority': path.join(dir, 'ca.crt'),
        },
      ],
    ]),
    users: new Map([[name, { tokenFile }]]),
    contexts: new Map([[name, { cluster: name, user: name, ...(namespace ? { namespace } : {}) }]]),
    currentContext: name,
    sources: [`the pod's service account (${dir})`],
  };
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `kubeconfig ${file} cannot be read (${(error as Error).message}); fix KUBECONFIG or --kubeconfig`,
    );
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new Error(`kubeconfig ${file} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(
      `kubeconfig ${file} is not a kubeconfig (a mapping with clusters, users, contexts)`,
    );
  }
  return raw as Record<string, unknown>;
}

function stringField(
  raw: Record<string, unknown>,
  field: string,
  file: string,
): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`kubeconfig ${file}: ${field} must be a string`);
  return value;
}

function entries<T>(
  raw: Record<string, unknown>,
  list: string,
  item: string,
  file: string,
): [string, T][] {
  const value = raw[list];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`kubeconfig ${file}: ${list} must be a list`);
  return value.map((entry: unknown, index) => {
    const { name, [item]: body } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') {
      throw new Error(`kubeconfig ${file}: ${list}[${index}] has no name`);
    }
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new Error(`kubeconfig ${file}: ${list}[${index}] (${name}).${item} must be a mapping`);
    }
    return [name, (body ?? {}) as T];
  });
}

function absolute<T extends object>(entry: T, fields: string[], dir: string): T {
  const copy = { ...entry } as Record<string, unknown>;
  for (const field of fields) {
    const value = copy[field];
    if (typeof value === 'string' && value !== '' && !path.isAbsolute(value)) {
      copy[field] = path.join(dir, value);
    }
  }
  return copy as T;
}
