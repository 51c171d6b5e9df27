import http from 'node:http';
import { type AppBehaviour, type EnvVar, ErrorSpreader, imageVersion } from './app-behaviour.js';
import { podinfoAnswer, runtimeInfo } from './podinfo.js';

export interface PodAppOptions {
  ip: string;
  port: number;
  namespace: string;
  pod: string;
  container: string;
  image: string;
  env?: EnvVar[];
  behaviour: AppBehaviour;
}

export interface PodApp {
  /** Stops taking new connections; waits up to `drainMs` for requests in flight, then cuts them. */
  close(drainMs: number): Promise<void>;
}

/** podinfo reads at most this much of a request body. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * One container port of a simulated pod: podinfo's API, after the configured latency, with
 * the configured share of requests failing with 500 (the probes excepted).
 */
export async function startPodApp(options: PodAppOptions): Promise<PodApp> {
  const errors = new ErrorSpreader(options.behaviour.errorRate);
  const identity = {
    pod: options.pod,
    namespace: options.namespace,
    container: options.container,
    image: options.image,
    version: imageVersion(options.image),
    env: options.env,
  };
  const pending = new Set<NodeJS.Timeout>();
  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
    res.writeHead(status, {
      'content-type':
        typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reply(res, 413, { code: 413, message: 'request body too large' });
        return;
      }
      const path = new URL(req.url ?? '/', 'http://pod').pathname;
      const request = {
        method: req.method ?? 'GET',
        path,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const answer = podinfoAnswer(request, identity, new Date());
      const failed = !answer.probe && errors.nextFails();
      const delayMs = answer.delayMs + (answer.probe ? 0 : options.behaviour.latencyMs);
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (failed) reply(res, 500, runtimeInfo(identity, 500));
        else reply(res, answer.status, answer.body);
      }, delayMs);
      pending.add(timer);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.ip, () => resolve());
  });
  return {
    async close(drainMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), drainMs).unref()),
      ]);
      if (!drained) {
        for (const timer of pending) clearTimeout(timer);
        server.closeAllConnections();
        await closed;
      }
    },
  };
}
