import http from 'node:http';
import { formatAppTiming, SERVER_TIMING_HEADER } from '../server-timing.js';
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

/**
 * One container port of a simulated pod: answers every request after the configured latency,
 * saying in Server-Timing how long it took (see server-timing.ts). That time is the app's own:
 * its latency and its work, not how late a busy machine let the latency timer fire.
 */
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
    const received = performance.now();
    req.resume();
    /** `lateMs`: how much later than asked the latency timer fired, which is not the app's. */
    const answer = (lateMs: number) => {
      const failed = errors.nextFails();
      const body = `${JSON.stringify({ ...identity, status: failed ? 500 : 200 })}\n`;
      res.writeHead(failed ? 500 : 200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        [SERVER_TIMING_HEADER]: formatAppTiming(performance.now() - received - lateMs),
      });
      res.end(body);
    };
    // Without latency, answer in the turn that read the request: a timer would add a wake-up
    // of this process to every trip through the mesh, and a busy machine delays each wake-up
    // by up to hundreds of milliseconds.
    const { latencyMs } = options.behaviour;
    if (latencyMs === 0) {
      answer(0);
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      answer(Math.max(0, performance.now() - received - latencyMs));
    }, latencyMs);
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
