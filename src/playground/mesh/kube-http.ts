import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A failed request to the API server, with the HTTP status so callers can tell 404 and 410 apart. */
export class KubeHttpError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
    this.name = 'KubeHttpError';
  }
}

export interface KubeHttp {
  getJson(path: string, query?: Record<string, string>): Promise<unknown>;
  /**
   * Streams a watch: calls onLine for each line until the server ends the response, the
   * signal aborts or the connection fails; resolves then, or rejects on a non-200 answer.
   */
  streamLines(
    path: string,
    query: Record<string, string>,
    onLine: (line: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/**
 * Raw GETs against the API server with the kubeconfig's credentials. The simulators read
 * untyped JSON (CRDs of several versions) and need their own watch timeouts, which
 * client-node's typed clients and Watch do not give.
 */
export function createKubeHttp(kc: KubeConfig): KubeHttp {
  const server = kc.getCurrentCluster()?.server;
  if (!server) {
    throw new Error(
      'kubeconfig has no current cluster: set a current-context with a cluster server',
    );
  }
  async function open(path: string, query: Record<string, string>, signal?: AbortSignal) {
    const url = new URL(server + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const options: https.RequestOptions = {
      method: 'GET',
      headers: { Accept: 'application/json' },
    };
    await kc.applyToHTTPSOptions(options);
    const transport = url.protocol === 'http:' ? http : https;
    // The kubeconfig's agent speaks TLS only; a plain-HTTP server (tests) needs the default one.
    if (transport === http) options.agent = undefined;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = transport.request(url, options, (res) => {
        signal?.addEventListener('abort', () => res.destroy(), { once: true });
        resolve(res);
      });
      // Destroying without an error: Node's own signal option raises an uncaught AbortError
      // when the response has already ended.
      signal?.addEventListener('abort', () => req.destroy(), { once: true });
      req.on('error', reject);
      req.end();
    });
  }
  async function readBody(res: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  function failure(path: string, statusCode: number | undefined, body: string) {
    let message = body.slice(0, 300);
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {}
    return new KubeHttpError(`GET ${path}: HTTP ${statusCode}: ${message}`, statusCode);
  }
  return {
    async getJson(path, query = {}) {
      const res = await open(path, query);
      const body = await readBody(res);
      if (res.statusCode !== 200) throw failure(path, res.statusCode, body);
      return JSON.parse(body);
    },
    async streamLines(path, query, onLine, signal) {
      let res: http.IncomingMessage;
      try {
        res = await open(path, query, signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      if (res.statusCode !== 200) throw failure(path, res.statusCode, await readBody(res));
      res.setEncoding('utf8');
      let pending = '';
      try {
        for await (const chunk of res) {
          pending += chunk as string;
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            if (line.trim() !== '') onLine(line);
            newline = pending.indexOf('\n');
          }
        }
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    },
  };
}
