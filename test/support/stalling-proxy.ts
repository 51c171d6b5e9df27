import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiServer } from '../../src/kube/api-server.js';

/**
 * A TCP proxy on 127.0.0.1 that can stall like a partitioned network: connections are still
 * accepted, but no byte moves in either direction until `resume()`, which delivers what was
 * held, in order, as a healed network would: a request a client sent and then gave up on
 * still reaches the server. It forwards raw bytes, so TLS stays end to end.
 */
export interface StallingProxy {
  /** host:port to dial instead of the target. */
  readonly address: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /**
   * Connections whose client has gone while the server side is still open: what a client
   * sent before giving up may still reach the server. 0 once the server has dealt with all.
   */
  readonly halfOpen: number;
  /** Holds every byte of open and new connections from now on. */
  stall(): void;
  /** Delivers every byte this long after it arrived, in order, each way: a slow network. */
  delay(ms: number): void;
  /** Delivers what was held and forwards again. */
  resume(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

export async function startStallingProxy(target: {
  host: string;
  port: number;
}): Promise<StallingProxy> {
  interface Pair {
    client: net.Socket;
    upstream: net.Socket;
    clientEnded: boolean;
  }
  const pairs = new Set<Pair>();
  const flushes = new Set<() => void>();
  let stalled = false;
  let delayMs = 0;
  let accepted = 0;
  // Bytes read while stalled are held here, end of stream included, and delivered in order
  // on resume, as a healed network delivers what was in flight.
  const forward = (from: net.Socket, to: net.Socket, onEnd: () => void) => {
    const held: Buffer[] = [];
    let ended = false;
    const flush = () => {
      for (const chunk of held.splice(0)) to.write(chunk);
      if (ended) to.end();
    };
    flushes.add(flush);
    const later = (deliver: () => void) => (delayMs > 0 ? setTimeout(deliver, delayMs) : deliver());
    from.on('data', (chunk: Buffer) =>
      stalled ? held.push(chunk) : later(() => !to.destroyed && to.write(chunk)),
    );
    from.on('end', () => {
      ended = true;
      onEnd();
      if (!stalled) later(() => to.end());
    });
    const forget = () => {
      if (from.closed && to.closed) flushes.delete(flush);
    };
    // A reset drops what was in flight; a plain close waits for resume to deliver it.
    from.on('close', () => (from.errored ? to.destroy() : forget()));
    to.on('close', forget);
    // Errors are the test's business (a reset, a write to a closed peer): never a crash.
    from.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, clientEnded: false };
    pairs.add(pair);
    upstream.on('close', () => pairs.delete(pair));
    forward(client, upstream, () => {
      pair.clientEnded = true;
    });
    forward(upstream, client, () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    get halfOpen() {
      return [...pairs].filter((pair) => pair.clientEnded || pair.client.closed).length;
    },
    stall() {
      stalled = true;
    },
    delay(ms: number) {
      delayMs = ms;
    },
    resume() {
      stalled = false;
      for (const flush of flushes) flush();
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A proxy in front of the API server `kc` names, and an ApiServer that reaches it through the proxy. */
export async function apiServerThroughProxy(
  kc: KubeConfig,
  userAgent?: string,
): Promise<{ proxy: StallingProxy; api: ApiServer }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const server = new URL(cluster.server);
  const proxy = await startStallingProxy({
    host: server.hostname,
    port: Number(server.port || (server.protocol === 'https:' ? 443 : 80)),
  });
  const viaProxy = new KubeConfig();
  viaProxy.loadFromOptions({
    clusters: kc.clusters.map((c) =>
      c.name === cluster.name ? { ...c, server: `${server.protocol}//${proxy.address}` } : c,
    ),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return { proxy, api: new ApiServer(viaProxy, userAgent) };
}
