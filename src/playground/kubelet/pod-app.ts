import http from 'node:http';
import http2 from 'node:http2';
import { sniffingServer } from '../protocol-sniff.js';
import { formatAppTiming, SERVER_TIMING_HEADER } from '../server-timing.js';
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

/** grpc-status of a call the app fails on purpose (ERROR_RATE): UNAVAILABLE. */
const GRPC_UNAVAILABLE = '14';
/** An empty gRPC message: what any method's default reply encodes to. */
const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

/** podinfo reads at most this much of a request body. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * One container port of a simulated pod: podinfo's API over HTTP/1.1, after the configured
 * latency, with the configured share of requests failing with 500 (the probes excepted); and
 * gRPC (h2c) with an empty reply, the pod in the response metadata and grpc-status UNAVAILABLE
 * for a failure. Each HTTP answer says in Server-Timing how long it took (see server-timing.ts):
 * the app's own time, its latency and its work, not how late a busy machine let the latency
 * timer fire.
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
  const reply = (res: http.ServerResponse, status: number, body: unknown, appMs: number) => {
    const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
    res.writeHead(status, {
      [SERVER_TIMING_HEADER]: formatAppTiming(appMs),
      'content-type':
        typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const received = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reply(
          res,
          413,
          { code: 413, message: 'request body too large' },
          performance.now() - received,
        );
        return;
      }
      const path = new URL(req.url ?? '/', 'http://pod').pathname;
      const request = {
        method: req.method ?? 'GET',
        path,
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      };
      const answer = podinfoAnswer(request, identity, new Date());
      const failed = !answer.probe && errors.nextFails();
      const delayMs = answer.delayMs + (answer.probe ? 0 : options.behaviour.latencyMs);
      /** `lateMs`: how much later than asked the delay timer fired, which is not the app's. */
      const send = (lateMs: number) => {
        const appMs = performance.now() - received - lateMs;
        if (failed) reply(res, 500, runtimeInfo(identity, 500), appMs);
        else reply(res, answer.status, answer.body, appMs);
      };
      // Without a delay, answer in the turn that read the request: a timer would add a wake-up
      // of this process to every trip through the mesh, and a busy machine delays each wake-up
      // by up to hundreds of milliseconds.
      if (delayMs === 0) {
        send(0);
        return;
      }
      const asked = performance.now();
      const timer = setTimeout(() => {
        pending.delete(timer);
        send(Math.max(0, performance.now() - asked - delayMs));
      }, delayMs);
      pending.add(timer);
    });
  });
  server.keepAliveTimeout = 65_000;
  const grpc = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  grpc.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  grpc.on('stream', (stream, headers) => {
    stream.resume();
    stream.on('error', () => stream.destroy());
    const isGrpc = String(headers['content-type'] ?? '').startsWith('application/grpc');
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (stream.destroyed) return;
      const failed = errors.nextFails();
      const identity = {
        'x-fledge-pod': options.pod,
        'x-fledge-version': imageVersion(options.image),
      };
      if (!isGrpc) {
        stream.respond({
          ':status': failed ? 500 : 200,
          'content-type': 'application/json',
          ...identity,
        });
        stream.end(`${JSON.stringify({ pod: options.pod, status: failed ? 500 : 200 })}\n`);
        return;
      }
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', ...identity },
        { waitForTrailers: true },
      );
      stream.once('wantTrailers', () =>
        stream.sendTrailers(
          failed
            ? { 'grpc-status': GRPC_UNAVAILABLE, 'grpc-message': 'failed on purpose (ERROR_RATE)' }
            : { 'grpc-status': '0' },
        ),
      );
      stream.end(EMPTY_MESSAGE);
    }, options.behaviour.latencyMs);
    pending.add(timer);
  });
  const listener = sniffingServer(server, grpc);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, options.ip, () => resolve());
  });
  return {
    async close(drainMs) {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      server.closeIdleConnections();
      for (const session of sessions) session.close();
      const drained = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), drainMs).unref()),
      ]);
      if (!drained) {
        for (const timer of pending) clearTimeout(timer);
        server.closeAllConnections();
        for (const session of sessions) session.destroy();
        await closed;
      }
    },
  };
}
