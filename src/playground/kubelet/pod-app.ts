import http from 'node:http';
import http2 from 'node:http2';
import { sniffingServer } from '../protocol-sniff.js';
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

/** grpc-status of a call the app fails on purpose (ERROR_RATE): UNAVAILABLE. */
const GRPC_UNAVAILABLE = '14';
/** An empty gRPC message: what any method's default reply encodes to. */
const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

/** At most this many `x-` request headers are echoed, each cut at this length. */
const ECHOED_HEADERS = 16;
const ECHOED_LENGTH = 256;

/**
 * The request's `x-` headers, so that a client can see what the mesh's route filters sent on:
 * the first few, cut short.
 */
function echoedHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name.startsWith('x-'))
      .slice(0, ECHOED_HEADERS)
      .map(([name, value]) => [name, String(value).slice(0, ECHOED_LENGTH)]),
  );
}

/**
 * One container port of a simulated pod: answers every request after the configured latency,
 * HTTP/1.1 with a JSON body naming the pod (and echoing its `x-` headers), and gRPC (h2c) with an empty reply, the pod in the
 * response metadata and grpc-status UNAVAILABLE for a failure.
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
    req.resume();
    const answer = () => {
      pending.delete(timer);
      const failed = errors.nextFails();
      const echoed = {
        ...identity,
        status: failed ? 500 : 200,
        headers: echoedHeaders(req.headers),
      };
      const body = `${JSON.stringify(echoed)}\n`;
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
