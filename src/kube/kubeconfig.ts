import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type https from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { stringify } from 'yaml';
import type { ClusterAccess } from './api-server.js';
import { ExecPlugin } from './exec-credential.js';
import {
  findKubeconfig,
  type KubeconfigCluster,
  type KubeconfigSearch,
  type KubeconfigUser,
  type MergedKubeconfig,
} from './kubeconfig-files.js';

export interface KubeConfigOptions extends KubeconfigSearch {
  /** The kubeconfig context to use instead of the current one (`--context`). */
  context?: string;
}

/**
 * A token file is read again after this long: a projected service account token is rotated
 * in place (kubelet renews it at 80% of its hour), as client-go re-reads it every minute.
 */
const TOKEN_FILE_TTL_MS = 60_000;

/**
 * Loads the kubeconfig as kubectl would (see findKubeconfig) and picks its context; fails with
 * a message that says what to fix.
 */
export function loadKubeConfig(options: KubeConfigOptions = {}): Kubeconfig {
  const merged = findKubeconfig(options);
  if (!merged) {
    throw new Error(
      'no Kubernetes cluster configured: set KUBECONFIG, pass --kubeconfig or --context, or run inside a pod with a service account',
    );
  }
  return new Kubeconfig(merged, options.context);
}

/**
 * One context of a kubeconfig: the API server's address, TLS settings and the credentials a
 * request carries. fledge's own, so that the controller does not load @kubernetes/client-node
 * (its KubeConfig imports every generated API: 68 MiB of a 256 MiB budget). Legacy
 * `auth-provider` users and SOCKS proxies, which only that library implements, still go
 * through it, loaded when such a context is used.
 */
export class Kubeconfig implements ClusterAccess {
  readonly currentContext: string;
  /** The context's namespace, if it names one. */
  readonly namespace: string | undefined;
  readonly contexts: string[];
  private readonly cluster: KubeconfigCluster & { server: string };
  private readonly user: KubeconfigUser;
  private readonly userName: string;
  private readonly tls: Pick<https.RequestOptions, 'ca' | 'cert' | 'key'>;
  private readonly exec: ExecPlugin | undefined;
  /** Legacy auth-providers and SOCKS proxies: only client-node implements them. */
  private readonly needsClientNode: boolean;
  private token: { value: string; readAt: number } | undefined;
  private proxyAgent: Agent | undefined;
  private legacy: Promise<ClusterAccess> | undefined;

  constructor(
    private readonly merged: MergedKubeconfig,
    context?: string,
  ) {
    this.contexts = [...merged.contexts.keys()];
    const from = merged.sources.join(', ');
    const name = context || merged.currentContext;
    if (!name) {
      throw new Error(
        `kubeconfig (${from}) sets no current-context; pass --context (known: ${this.known()})`,
      );
    }
    const chosen = merged.contexts.get(name);
    if (!chosen) {
      throw new Error(
        `kubeconfig has no context "${name}" (known: ${this.known()}); ` +
          'pass one of those to --context or fix KUBECONFIG',
      );
    }
    this.currentContext = name;
    this.namespace = chosen.namespace || undefined;
    const cluster = chosen.cluster ? merged.clusters.get(chosen.cluster) : undefined;
    if (!cluster?.server) {
      throw new Error(
        `kubeconfig context "${name}" names cluster "${chosen.cluster ?? ''}", which ${cluster ? 'has no server' : `is not in ${from}`}; fix the kubeconfig`,
      );
    }
    this.cluster = { ...cluster, server: cluster.server };
    this.userName = chosen.user ?? '';
    const user = chosen.user ? merged.users.get(chosen.user) : {};
    if (!user) {
      throw new Error(
        `kubeconfig context "${name}" names user "${chosen.user}", which is not in ${from}; fix the kubeconfig`,
      );
    }
    this.user = user;
    this.tls = {
      ...pem(
        'ca',
        cluster['certificate-authority'],
        cluster['certificate-authority-data'],
        `cluster "${chosen.cluster}"`,
      ),
      ...pem(
        'cert',
        user['client-certificate'],
        user['client-certificate-data'],
        `user "${this.userName}"`,
      ),
      ...pem('key', user['client-key'], user['client-key-data'], `user "${this.userName}"`),
    };
    this.exec = user.exec
      ? new ExecPlugin(user.exec, { user: this.userName, cluster: this.cluster })
      : undefined;
    this.needsClientNode =
      user['auth-provider'] !== undefined || /^socks/.test(cluster['proxy-url'] ?? '');
  }

  getCurrentCluster(): { server: string; proxyUrl?: string } {
    const proxyUrl = this.cluster['proxy-url'];
    return proxyUrl ? { server: this.cluster.server, proxyUrl } : { server: this.cluster.server };
  }

  /** Sets TLS options, credentials and (behind a proxy) the agent on one request. */
  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    if (this.needsClientNode) {
      this.legacy ??= this.clientNodeConfig();
      return (await this.legacy).applyToHTTPSOptions(options);
    }
    const { cluster, user } = this;
    Object.assign(options, this.tls);
    if (cluster['insecure-skip-tls-verify']) options.rejectUnauthorized = false;
    if (cluster['tls-server-name']) options.servername = cluster['tls-server-name'];
    options.headers ??= {};
    const headers = options.headers as Record<string, string | string[]>;
    if (user.as) headers['Impersonate-User'] = user.as;
    if (user['as-groups']?.length) headers['Impersonate-Group'] = user['as-groups'];
    if (user.username) options.auth = `${user.username}:${user.password ?? ''}`;
    const token = this.exec ? await execCredential(this.exec, options) : this.bearerToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (cluster['proxy-url']) {
      this.proxyAgent ??= new HttpsProxyAgent(cluster['proxy-url'], { keepAlive: true });
      options.agent = this.proxyAgent;
    }
  }

  /** The API server refused the credentials (401): a plugin runs again, a token file is re-read. */
  credentialsRejected(): void {
    this.exec?.invalidate();
    // Stale, not gone: if the file cannot be read now, the last token is still the best there is.
    if (this.token) this.token.readAt = Number.NEGATIVE_INFINITY;
  }

  private bearerToken(): string | undefined {
    const { tokenFile, token } = this.user;
    const now = Date.now();
    if (!tokenFile) return token;
    if (this.token && now - this.token.readAt < TOKEN_FILE_TTL_MS) return this.token.value;
    try {
      this.token = { value: readFileSync(tokenFile, 'utf8').trim(), readAt: now };
    } catch (error) {
      // Mid-rotation the file may be briefly absent: the token read last still holds.
      if (this.token) return this.token.value;
      throw new Error(
        `kubeconfig user "${this.userName}": tokenFile ${tokenFile} cannot be read (${(error as Error).message}); fix the path or the mount`,
      );
    }
    return this.token.value;
  }

  /** client-node's KubeConfig for this context, for what only it implements. */
  private async clientNodeConfig(): Promise<ClusterAccess> {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    const list = <T>(entries: Map<string, T>, item: string) =>
      [...entries].map(([name, body]) => ({ name, [item]: body }));
    kc.loadFromString(
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: list(this.merged.clusters, 'cluster'),
        users: list(this.merged.users, 'user'),
        contexts: list(this.merged.contexts, 'context'),
        'current-context': this.currentContext,
      }),
    );
    return kc;
  }

  private known(): string {
    return this.contexts.join(', ') || 'none';
  }
}

/** Puts a plugin's client certificate on the request; returns its token, if it gave one. */
async function execCredential(
  exec: ExecPlugin,
  options: https.RequestOptions,
): Promise<string | undefined> {
  const credential = await exec.credential();
  if (credential.clientCertificateData && credential.clientKeyData) {
    options.cert = credential.clientCertificateData;
    options.key = credential.clientKeyData;
  }
  return credential.token;
}

/** A PEM from a file or from base64 data, read once: a file that cannot be read fails the load. */
function pem(
  option: 'ca' | 'cert' | 'key',
  file: string | undefined,
  data: string | undefined,
  owner: string,
): Partial<Record<'ca' | 'cert' | 'key', Buffer>> {
  if (file) {
    try {
      return { [option]: readFileSync(file) };
    } catch (error) {
      throw new Error(
        `kubeconfig ${owner}: ${file} cannot be read (${(error as Error).message}); fix the path`,
      );
    }
  }
  return data ? { [option]: Buffer.from(data, 'base64') } : {};
}
