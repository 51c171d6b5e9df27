import { spawn } from 'node:child_process';

/** A kubeconfig user's `exec` stanza (client.authentication.k8s.io), as kubectl reads it. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
}

/** What a plugin hands back: a bearer token, a client certificate, or both. */
export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
}

export interface ExecPluginOptions {
  /** The kubeconfig user, for messages. */
  user: string;
  /** The cluster as the plugin sees it with provideClusterInfo. */
  cluster: { server: string; 'certificate-authority-data'?: string; 'tls-server-name'?: string };
  /** A plugin that answers slower than this is killed (default 60 s). */
  timeoutMs?: number;
}

/** More than any credential; a plugin printing past it is broken, not slow. */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** The end of the plugin's stderr kept for the message. */
const STDERR_TAIL = 2048;
/**
 * A credential is renewed this long before it expires: a request signed just before the
 * expiry would reach the API server after it and be refused.
 */
const RENEW_BEFORE_MS = 10_000;

/**
 * Runs a kubeconfig's exec credential plugin (aws eks get-token, gke-gcloud-auth-plugin,
 * kubelogin, ...) as kubectl does, and keeps its answer until `expirationTimestamp`, or until
 * the API server refuses it. Concurrent requests share one run of the plugin.
 */
export class ExecPlugin {
  private cached: { credential: ExecCredential; renewAt: number } | undefined;
  private running: Promise<ExecCredential> | undefined;

  constructor(
    private readonly config: ExecConfig,
    private readonly options: ExecPluginOptions,
  ) {}

  async credential(): Promise<ExecCredential> {
    if (this.cached && Date.now() < this.cached.renewAt) return this.cached.credential;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The API server refused the credential (401): the next request runs the plugin again. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async run(): Promise<ExecCredential> {
    const { config } = this;
    if (config.interactiveMode === 'Always') {
      throw this.failure(
        'its interactiveMode is Always, and the controller has no terminal',
        'set interactiveMode: Never or IfAvailable, or give the controller a non-interactive credential',
      );
    }
    const output = await this.spawnPlugin();
    const credential = this.parse(output);
    const renewAt = credential.expiresAt
      ? credential.expiresAt - RENEW_BEFORE_MS
      : Number.POSITIVE_INFINITY;
    this.cached = { credential: credential.credential, renewAt };
    return credential.credential;
  }

  private spawnPlugin(): Promise<string> {
    const { config, options } = this;
    const info = {
      apiVersion: config.apiVersion,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        ...(config.provideClusterInfo ? { cluster: clusterInfo(options.cluster) } : {}),
      },
    };
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const { name, value } of config.env ?? []) env[name] = value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(info);
    return new Promise((resolve, reject) => {
      const child = spawn(config.command, config.args ?? [], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? 60_000,
      });
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let stderr = '';
      let failed: Error | undefined;
      child.stdout.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length;
        if (stdoutBytes > MAX_OUTPUT_BYTES) {
          failed ??= this.failure(
            `printed more than ${MAX_OUTPUT_BYTES} bytes`,
            'check the plugin',
          );
          child.kill();
        } else {
          stdout.push(chunk);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        failed ??=
          error.code === 'ENOENT'
            ? this.failure(
                'was not found',
                config.installHint?.trim() || `install ${config.command} or fix the path`,
              )
            : this.failure(`could not run: ${error.message}`, 'check the plugin');
      });
      child.on('close', (code, signal) => {
        if (failed) return reject(failed);
        if (code === 0) return resolve(Buffer.concat(stdout).toString('utf8'));
        const how = signal ? `was killed (${signal}; a timeout kills it)` : `exited ${code}`;
        reject(
          this.failure(`${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, 'run it by hand'),
        );
      });
    });
  }

  private parse(output: string): { credential: ExecCredential; expiresAt?: number } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw this.failure(
        'printed something other than JSON',
        'run it by hand and check its output',
      );
    }
    const { apiVersion, kind, status } = (parsed ?? {}) as {
      apiVersion?: unknown;
      kind?: unknown;
      status?: Record<string, unknown>;
    };
    if (kind !== 'ExecCredential' || apiVersion !== this.config.apiVersion) {
      throw this.failure(
        `answered ${String(kind)} ${String(apiVersion)}, not ExecCredential ${this.config.apiVersion}`,
        'set the exec apiVersion to the one the plugin speaks',
      );
    }
    const text = (field: string): string | undefined =>
      typeof status?.[field] === 'string' && status[field] !== ''
        ? (status[field] as string)
        : undefined;
    const credential: ExecCredential = {};
    const token = text('token');
    const cert = text('clientCertificateData');
    const key = text('clientKeyData');
    if (token) credential.token = token;
    if (cert && key) {
      credential.clientCertificateData = cert;
      credential.clientKeyData = key;
    }
    if (!token && !(cert && key)) {
      throw this.failure(
        'answered without a token or a client certificate and key',
        'check that the plugin is logged in',
      );
    }
    const expiry = text('expirationTimestamp');
    const expiresAt = expiry === undefined ? undefined : Date.parse(expiry);
    if (expiresAt !== undefined && Number.isNaN(expiresAt)) {
      throw this.failure(
        `answered an expirationTimestamp that is not a time: ${expiry}`,
        'check the plugin',
      );
    }
    return expiresAt === undefined ? { credential } : { credential, expiresAt };
  }

  private failure(cause: string, fix: string): Error {
    return new Error(
      `kubeconfig user "${this.options.user}": exec credential plugin ${this.config.command} ${cause}; ${fix}`,
    );
  }
}

function clusterInfo(cluster: ExecPluginOptions['cluster']): Record<string, unknown> {
  return {
    server: cluster.server,
    ...(cluster['tls-server-name'] ? { 'tls-server-name': cluster['tls-server-name'] } : {}),
    ...(cluster['certificate-authority-data']
      ? { 'certificate-authority-data': cluster['certificate-authority-data'] }
      : {}),
  };
}
