import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, pino } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { applyAction } from '../cli/action-command.js';
import { CliError } from '../cli/rollout-source.js';
import type { ApiServer } from '../kube/api-server.js';
import { KubeApiError } from '../kube/api-server.js';
import { type Asset, loadAssets } from './assets.js';
import { type Access, bearerToken, type Gatekeeper, type User } from './auth.js';
import { EventFeeds, TooManyTimelines } from './event-feed.js';
import { EventStream } from './event-stream.js';
import { clip } from './markers.js';
import { RolloutFeed } from './rollout-feed.js';
import { type Route, routeOf } from './routes.js';
import { streamList, streamTimeline } from './streams.js';

/** What one dashboard holds at most; past a bound a request is refused with 503, not queued. */
export interface DashboardLimits {
  /** Open event streams (lists and timelines), all pages together. */
  streams: number;
  /** Rollouts whose Events are watched at once (one watch each). */
  timelines: number;
  /** TCP connections, streams included. */
  connections: number;
  /** Bytes a slow page may leave unread before it is disconnected. */
  bufferedBytes: number;
  heartbeatMs: number;
}

const defaultLimits: DashboardLimits = {
  streams: 64,
  timelines: 32,
  connections: 256,
  bufferedBytes: 8 * 1024 * 1024,
  heartbeatMs: 15_000,
};

export interface DashboardOptions {
  /** The credentials the dashboard reads and acts with. */
  api: ApiServer;
  gatekeeper: Gatekeeper;
  host: string;
  /** 0: any free port. */
  port: number;
  /** The namespaces to show; empty: all. */
  namespaces: string[];
  log?: Logger;
  /** Where the dashboard's counters go (the controller's registry in the cluster). */
  registry?: Registry;
  limits?: Partial<DashboardLimits>;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The dashboard's HTTP server: the page (no authentication: it holds no data), and an API
 * whose every request carries a bearer token the gatekeeper checks, with every read and
 * action authorized for that user before the dashboard does it.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const limits = { ...defaultLimits, ...options.limits };
  const log = options.log ?? pino({ level: 'silent' });
  const assets = await loadAssets(options.gatekeeper.mode);
  const feed = new RolloutFeed(options.api, options.namespaces);
  const events = new EventFeeds(options.api, limits.timelines);
  const telemetry = dashboardTelemetry(options.registry);
  const streams = new Set<EventStream>();
  feed.start();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const route = routeOf(request.method ?? 'GET', request.url ?? '/');
    response.on('finish', () =>
      telemetry.requests.inc({ route: route.kind, code: response.statusCode }),
    );
    if (route.kind === 'invalid') return answer(response, route.status, { message: route.message });
    if (route.kind === 'asset') return serveAsset(request, response, assets.get(route.path));

    const token = bearerToken(request);
    const who = token
      ? await options.gatekeeper.authenticate(token)
      : { ok: false as const, message: 'send the bearer token: Authorization: Bearer TOKEN' };
    if (!who.ok) {
      response.setHeader('www-authenticate', 'Bearer realm="fledge dashboard"');
      return answer(response, 401, { message: who.message });
    }
    const denied = await firstDenial(options.gatekeeper, who.user, accessesOf(route));
    if (denied) {
      log.info({ user: who.user.name, route: route.kind }, 'dashboard request denied by RBAC');
      return answer(response, 403, { message: denied });
    }
    if (route.kind === 'action') return act(route, who.user, response);
    if (streams.size >= limits.streams) {
      return answer(response, 503, {
        message: `this dashboard already serves ${limits.streams} live views; close some pages`,
      });
    }
    if (route.kind === 'timeline') {
      if (!(await syncedWithin(feed, 10_000))) {
        return answer(response, 503, {
          message: `the dashboard has not listed the rollouts yet: ${feed.currentProblem ?? 'the API server is slow to answer'}`,
        });
      }
      if (!feed.get(route.namespace, route.name)) {
        return answer(response, 404, {
          message: `rollout ${route.namespace}/${route.name} not found among the rollouts this dashboard watches`,
        });
      }
    }
    if (route.kind === 'list') return streamList(openStream(response), feed, route.namespace);
    try {
      streamTimeline(() => openStream(response), feed, events, route.namespace, route.name);
    } catch (error) {
      if (!(error instanceof TooManyTimelines)) throw error;
      answer(response, 503, { message: error.message });
    }
  };

  const openStream = (response: ServerResponse) => {
    const stream = new EventStream(response, {
      maxBufferedBytes: limits.bufferedBytes,
      heartbeatMs: limits.heartbeatMs,
    });
    streams.add(stream);
    telemetry.streams.set(streams.size);
    stream.onClose(() => {
      streams.delete(stream);
      telemetry.streams.set(streams.size);
    });
    return stream;
  };

  const act = async (
    route: Extract<Route, { kind: 'action' }>,
    user: User,
    response: ServerResponse,
  ) => {
    const plan = await applyAction(options.api, route.namespace, route.name, route.action);
    const result = plan.kind === 'refuse' ? 'refused' : 'done';
    telemetry.actions.inc({ action: route.action, result });
    log.info(
      {
        user: user.name,
        rollout: `${route.namespace}/${route.name}`,
        action: route.action,
        result,
      },
      'dashboard action',
    );
    if (plan.kind === 'refuse') return answer(response, 409, { message: plan.message });
    return answer(response, 200, { message: plan.message, notes: plan.notes });
  };

  const server = createServer((request, response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    handle(request, response).catch((error: unknown) => {
      const { status, message } = failureOf(error);
      if (status >= 500) log.warn({ err: error, url: request.url }, 'dashboard request failed');
      if (response.headersSent) response.destroy();
      else answer(response, status, { message });
    });
  });
  server.maxConnections = limits.connections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    async close() {
      for (const stream of streams) stream.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([feed.stop(), events.stop()]);
    },
  };
}

async function syncedWithin(feed: RolloutFeed, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const synced = await Promise.race([feed.whenSynced().then(() => true), late]);
  clearTimeout(timer);
  return synced;
}

/** A read needs get/list and watch, as kubectl would; an action needs patch. */
function accessesOf(route: Extract<Route, { kind: 'list' | 'timeline' | 'action' }>): Access[] {
  switch (route.kind) {
    case 'list':
      return (['list', 'watch'] as const).map((verb) => ({ verb, namespace: route.namespace }));
    case 'timeline':
      return (['get', 'watch'] as const).map((verb) => ({
        verb,
        namespace: route.namespace,
        name: route.name,
      }));
    case 'action':
      return [{ verb: 'patch', namespace: route.namespace, name: route.name }];
  }
}

async function firstDenial(gatekeeper: Gatekeeper, user: User, accesses: Access[]) {
  for (const access of accesses) {
    const denied = await gatekeeper.authorize(user, access);
    if (denied) return denied;
  }
  return null;
}

function serveAsset(request: IncomingMessage, response: ServerResponse, asset: Asset | undefined) {
  if (!asset) return answer(response, 404, { message: 'no such file; the dashboard is at /' });
  const headers: Record<string, string | number> = {
    'content-type': asset.contentType,
    etag: asset.etag,
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
  };
  if (request.headers['if-none-match'] === asset.etag) {
    response.writeHead(304, headers);
    return response.end();
  }
  const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzipped : asset.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  response.writeHead(200, headers);
  response.end(request.method === 'HEAD' ? undefined : body);
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** The page's answer to a failure: the API server's status where it said one, its words bounded. */
function failureOf(error: unknown): { status: number; message: string } {
  if (error instanceof CliError) return { status: 404, message: error.message };
  if (error instanceof KubeApiError) {
    const status = error.statusCode === 403 || error.statusCode === 404 ? error.statusCode : 502;
    return { status, message: `the API server refused: ${clip(error.message, 500)}` };
  }
  return {
    status: 500,
    message: clip(error instanceof Error ? error.message : String(error), 500),
  };
}

function dashboardTelemetry(registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  return {
    streams: new Gauge({
      name: 'fledge_dashboard_streams',
      help: 'Live views (event streams) the dashboard serves now',
      registers,
    }),
    requests: new Counter({
      name: 'fledge_dashboard_requests_total',
      help: 'Dashboard requests by route and HTTP status',
      labelNames: ['route', 'code'],
      registers,
    }),
    actions: new Counter({
      name: 'fledge_dashboard_actions_total',
      help: 'Manual actions taken through the dashboard, by action and result',
      labelNames: ['action', 'result'],
      registers,
    }),
  };
}
