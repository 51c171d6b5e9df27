import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { CLIENT_HEADER } from '../mesh/index.js';

/** How the gateway shows up as a caller in its own cluster's outbound metrics. */
export const GATEWAY_CALLER = 'linkerd-multicluster/linkerd-gateway';

export interface GatewayOptions {
  cluster: string;
  /** The cluster's mesh proxy: the gateway is a meshed pod of that cluster. */
  meshProxy: string;
  /** Added to every request it carries: the cross-cluster hop. */
  latencyMs: number;
  logger: Logger;
}

export interface Gateway {
  ip: string;
  port: number;
  /** Refuses every connection, open ones included, as an unreachable gateway does. */
  cut(): void;
  restore(): void;
  readonly isCut: boolean;
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

/** The gateway listens on a free port of this address. */
const host = '127.0.0.1';

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/**
 * A cluster's Linkerd multicluster gateway: takes requests from other clusters' meshes (sent
 * to a mirror's endpoint, with the remote Service as authority), waits the cross-cluster
 * latency, and hands them to its own cluster's mesh, which routes them to the Service's pods
 * and records their inbound metrics there.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.logger.child({ component: 'gateway', cluster: options.cluster });
  const proxy = new URL(options.meshProxy);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const sockets = new Set<Socket>();
  let latencyMs = options.latencyMs;
  let cut = false;

  const server = http.createServer((req, res) => {
    const forward = () => {
      const headers: http.OutgoingHttpHeaders = { [CLIENT_HEADER]: GATEWAY_CALLER };
      for (const [name, value] of Object.entries(req.headers)) {
        if (!hopByHop.has(name) && name !== CLIENT_HEADER && value !== undefined)
          headers[name] = value;
      }
      const upstream = http.request({
        host: proxy.hostname,
        port: proxy.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      });
      upstream.on('response', (answer) => {
        const returned: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!hopByHop.has(name) && value !== undefined) returned[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, returned);
        answer.pipe(res);
      });
      upstream.on('error', (err) => {
        log.debug({ err }, 'mesh of the gateway cluster failed');
        res.destroy();
      });
      req.pipe(upstream);
    };
    if (latencyMs > 0) setTimeout(forward, latencyMs);
    else forward();
  });
  server.on('connection', (socket) => {
    if (cut) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log.info({ address: `${host}:${port}`, latencyMs }, 'gateway ready');
  return {
    ip: host,
    port,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      log.info('gateway cut');
    },
    restore() {
      cut = false;
      log.info('gateway restored');
    },
    get isCut() {
      return cut;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
