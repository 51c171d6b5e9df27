import http from 'node:http';
import { type AppBehaviour, ErrorSpreader, imageVersion } from './app-behaviour.js';

export interface PodAppOptions {
  ip: string;
  port: number;
  namespace: string;
  pod: string;
  container: string;
  image: string;
  behaviour: AppBehaviour;
}

export interface PodApp {
  /** Stops taking new connections; waits up to `drainMs` for requests in flight, then cuts them. */
  close(drainMs: number): Promise<void>;
}

/** One container port of a simulated pod: answers every request after the configured latency. */
export async function startPodApp(options: PodAppOptions): Promise<PodApp> {
  const errors = new ErrorSpreader(options.behaviour.errorRate);
  const identity = {
    pod: options.pod,
    namespace: options.namespace,
    container: options.container,
    image: options.image,
    version: imageVersion(options.image),
  };
  const pending = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    req.resume();
    const answer = () => {
      pending.delete(timer);
      const failed = errors.nextFails();
      const body = `${JSON.stringify({ ...identity, status: failed ? 500 : 200 })}\n`;
      res.writeHead(failed ? 500 : 200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    const timer = setTimeout(answer, options.behaviour.latencyMs);
    pending.add(timer);
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
