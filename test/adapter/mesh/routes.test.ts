import http from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PodApp, startPodApp } from '../../../src/playground/kubelet/pod-app.js';
import type { EndpointSliceObject, ServiceObject } from '../../../src/playground/mesh/endpoints.js';
import { MeshState } from '../../../src/playground/mesh/mesh-state.js';
import { ProxyMetrics } from '../../../src/playground/mesh/proxy-metrics.js';
import { type ProxyServer, startProxyServer } from '../../../src/playground/mesh/proxy-server.js';
import type { RoutingObject } from '../../../src/playground/mesh/routing-table.js';
import { mergeRoute } from '../../../src/routing/gateway-rules.js';
import type { RouteTarget, Traffic } from '../../../src/routing/router.js';
import { grpcClient } from '../../support/grpc-call.js';

/**
 * The mesh proxy with the routes fledge writes (gateway-rules.ts) on top of a user's: header
 * and cookie matches, the affinity cookie, filters, timeouts and gRPC, each checked by which
 * pod answered through the proxy. Pods at 127.9.1.x, apart from proxy.test.ts's.
 */

const appPort = 18081;
const pods = {
  primary: {
    name: 'web-primary-5f6-a',
    ip: '127.9.1.1',
    image: 'web:1.0.0',
    errorRate: 0,
    latencyMs: 0,
  },
  canary: { name: 'web-7c8-b', ip: '127.9.1.2', image: 'web:2.0.0', errorRate: 0, latencyMs: 0 },
  slow: { name: 'slow-1a2-c', ip: '127.9.1.3', image: 'slow:1', errorRate: 0, latencyMs: 400 },
  failing: { name: 'rpc-9d8-d', ip: '127.9.1.4', image: 'rpc:2.0.0', errorRate: 1, latencyMs: 0 },
};
const backends: Array<[string, (typeof pods)[keyof typeof pods]]> = [
  ['web', pods.primary],
  ['web-primary', pods.primary],
  ['web-canary', pods.canary],
  ['slow', pods.slow],
  ['rpc', pods.primary],
  ['rpc-primary', pods.primary],
  ['rpc-canary', pods.failing],
];

const services = new Map<string, ServiceObject>();
const slices = new Map<string, EndpointSliceObject>();
for (const [service, pod] of backends) {
  services.set(service, {
    metadata: { name: service, namespace: 'prod' },
    spec: { ports: [{ name: 'http', port: 8080 }] },
  });
  slices.set(service, {
    metadata: {
      name: `${service}-x1`,
      namespace: 'prod',
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [pod.ip], conditions: { ready: true } }],
    ports: [{ name: 'http', port: appPort }],
  });
}
let routing: RoutingObject[] = [];
const state = new MeshState({
  service: (_, name) => services.get(name),
  endpointSlices: (_, service) => {
    const found = slices.get(service);
    return found ? [found] : [];
  },
  pod: () => undefined,
  routingObjects: () => routing,
});
const metrics = new ProxyMetrics();
const apps: PodApp[] = [];
let proxy: ProxyServer;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  for (const pod of Object.values(pods)) {
    apps.push(
      await startPodApp({
        ip: pod.ip,
        port: appPort,
        namespace: 'prod',
        pod: pod.name,
        container: 'app',
        image: pod.image,
        behaviour: { errorRate: pod.errorRate, latencyMs: pod.latencyMs },
      }),
    );
  }
  proxy = await startProxyServer({
    host: '127.0.0.1',
    port: 0,
    state,
    metrics,
    logger: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  agent.destroy();
  await Promise.all([proxy?.close(), ...apps.map((app) => app.close(0))]);
});

const target = (apex: string, strategy?: RouteTarget['strategy']): RouteTarget => ({
  namespace: 'prod',
  name: apex,
  apexService: apex,
  port: 8080,
  stableService: `${apex}-primary`,
  canaryService: `${apex}-canary`,
  ...(strategy ? { strategy } : {}),
});

/** The route fledge writes for `traffic`, on top of `current` (a user's route) or alone. */
function route(
  kind: 'HTTPRoute' | 'GRPCRoute',
  of: RouteTarget,
  traffic: Traffic,
  current?: Record<string, unknown>,
): RoutingObject {
  const { spec } = mergeRoute(kind, of, traffic, current, new Set());
  state.invalidateRoutes();
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: { name: of.name, namespace: 'prod', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec,
  };
}

interface WebAnswer {
  status: number;
  pod?: string;
  headers?: Record<string, string>;
  setCookie?: string[];
  servedBy?: string;
  proxyError?: string;
}

function get(url: string, headers: Record<string, string> = {}): Promise<WebAnswer> {
  const proxyUrl = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: proxyUrl.hostname,
        port: proxyUrl.port,
        path: url,
        headers: { host: new URL(url).host, ...headers },
        agent,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          const body = response.headers['content-type']?.startsWith('application/json')
            ? JSON.parse(text)
            : {};
          resolve({
            status: response.statusCode ?? 0,
            pod: body.pod,
            headers: body.headers,
            setCookie: response.headers['set-cookie'],
            servedBy: response.headers['x-served-by'] as string | undefined,
            proxyError: response.headers['l5d-proxy-error'] as string | undefined,
          });
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

async function pods20(
  url: string,
  headers: Record<string, string> = {},
): Promise<Set<string | undefined>> {
  const answers = await Promise.all(Array.from({ length: 20 }, () => get(url, headers)));
  return new Set(answers.map((answer) => answer.pod));
}

const usersRoute = {
  parentRefs: [{ group: 'core', kind: 'Service', name: 'web', port: 8080 }],
  rules: [
    {
      filters: [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'x-team', value: 'payments' }] },
        },
        {
          type: 'ResponseHeaderModifier',
          responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'mesh' }] },
        },
      ],
      timeouts: { request: '5s' },
      backendRefs: [{ name: 'web', port: 8080 }],
    },
  ],
};

describe('A/B testing through the mesh proxy', () => {
  const abTest = target('web', {
    matches: [
      [{ name: 'x-canary', type: 'Exact', value: 'insider' }],
      [
        {
          name: 'cookie',
          type: 'RegularExpression',
          value: '^(?:.*;[ \\t]*)?canary=always(?:;.*)?$',
        },
      ],
    ],
  });

  it('sends every request with the header or the cookie to the canary and none without', async () => {
    routing = [route('HTTPRoute', abTest, { canaryWeight: 0, pinned: true }, usersRoute)];
    expect(await pods20('http://web.prod:8080/', { 'x-canary': 'insider' })).toEqual(
      new Set([pods.canary.name]),
    );
    expect(
      await pods20('http://web.prod:8080/a', { cookie: 'theme=dark; canary=always; x=1' }),
    ).toEqual(new Set([pods.canary.name]));
    expect(await pods20('http://web.prod:8080/', { 'x-canary': 'outsider' })).toEqual(
      new Set([pods.primary.name]),
    );
    expect(await pods20('http://web.prod:8080/', { cookie: 'canary=alwaysnot' })).toEqual(
      new Set([pods.primary.name]),
    );
  });

  it("applies the user's header filters on both of fledge's rules", async () => {
    routing = [route('HTTPRoute', abTest, { canaryWeight: 0, pinned: true }, usersRoute)];
    const requests: Array<Record<string, string>> = [{ 'x-canary': 'insider' }, {}];
    for (const headers of requests) {
      const answer = await get('http://web.prod:8080/', headers);
      expect(answer.headers?.['x-team']).toBe('payments');
      expect(answer.servedBy).toBe('mesh');
    }
  });

  it('sends nothing to the canary once unpinned', async () => {
    routing = [route('HTTPRoute', abTest, { canaryWeight: 0, pinned: false }, usersRoute)];
    expect(await pods20('http://web.prod:8080/', { 'x-canary': 'insider' })).toEqual(
      new Set([pods.primary.name]),
    );
  });
});

describe('session affinity through the mesh proxy', () => {
  it('keeps a client that got the cookie on the canary for every following request', async () => {
    const sticky = target('web', {
      matches: [],
      sessionAffinity: { cookieName: 'canary', maxAge: 600 },
    });
    routing = [route('HTTPRoute', sticky, { canaryWeight: 50, pinned: true, revision: 'r2' })];
    let cookie: string | undefined;
    for (let i = 0; i < 10 && !cookie; i++) {
      const answer = await get('http://web.prod:8080/');
      if (answer.pod === pods.canary.name) cookie = answer.setCookie?.[0];
      else expect(answer.setCookie).toBeUndefined();
    }
    expect(cookie).toMatch(/^canary=[0-9a-f]{16}; Max-Age=600; Path=\/$/);
    const pair = String(cookie).split(';')[0] as string;
    expect(await pods20('http://web.prod:8080/', { cookie: `session=1; ${pair}` })).toEqual(
      new Set([pods.canary.name]),
    );

    routing = [route('HTTPRoute', sticky, { canaryWeight: 0, pinned: false, revision: 'r2' })];
    const expired = await get('http://web.prod:8080/', { cookie: pair });
    expect(expired.pod).toBe(pods.primary.name);
    expect(expired.setCookie).toEqual([`${pair}; Max-Age=0; Path=/`]);
  });
});

describe('filters and timeouts through the mesh proxy', () => {
  it('answers 504 past a rule timeout, counted as such', async () => {
    routing = [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'slow', namespace: 'prod' },
        spec: {
          parentRefs: [{ group: 'core', kind: 'Service', name: 'slow' }],
          rules: [{ timeouts: { request: '100ms' }, backendRefs: [{ name: 'slow', port: 8080 }] }],
        },
      },
    ];
    state.invalidateRoutes();
    const answer = await get('http://slow.prod:8080/');
    expect(answer.status).toBe(504);
    expect(answer.proxyError).toMatch(/timed out after 100 ms/);
    expect(metrics.expose()).toMatch(
      /response_total\{direction="outbound".*dst_service="slow".*status_code="504",classification="failure"\} 1/,
    );
  });

  it('adds a ResponseHeaderModifier header and redirects with a RequestRedirect', async () => {
    routing = [route('HTTPRoute', target('web'), { canaryWeight: 0, pinned: false }, usersRoute)];
    expect((await get('http://web.prod:8080/')).servedBy).toBe('mesh');
    routing = [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web', namespace: 'prod' },
        spec: {
          parentRefs: [{ group: 'core', kind: 'Service', name: 'web' }],
          rules: [
            {
              filters: [
                {
                  type: 'RequestRedirect',
                  requestRedirect: { hostname: 'docs.example', statusCode: 301 },
                },
              ],
            },
          ],
        },
      },
    ];
    state.invalidateRoutes();
    const moved = await new Promise<http.IncomingMessage>((resolve) => {
      const proxyUrl = new URL(proxy.url);
      http
        .request(
          { host: proxyUrl.hostname, port: proxyUrl.port, path: 'http://web.prod:8080/x', agent },
          resolve,
        )
        .end();
    });
    moved.resume();
    expect(moved.statusCode).toBe(301);
    expect(moved.headers.location).toBe('http://docs.example/x');
  });
});

describe('gRPC through the mesh proxy', () => {
  it('splits calls by GRPCRoute weights and counts each grpc-status, failing ones as failures', async () => {
    routing = [route('GRPCRoute', target('rpc'), { canaryWeight: 50, pinned: false })];
    const client = grpcClient(proxy.url);
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => client.call('rpc.prod:8080')),
      );
      const byPod = (pod: string) =>
        answers.filter((answer) => answer.headers['x-fledge-pod'] === pod);
      expect(byPod(pods.failing.name).map((a) => a.grpcStatus)).toEqual(Array(10).fill(14));
      expect(byPod(pods.primary.name).map((a) => a.grpcStatus)).toEqual(Array(10).fill(0));
      const text = metrics.expose();
      expect(text).toMatch(
        /dst_service="rpc-canary".*status_code="200",classification="failure",grpc_status="14"\} 10/,
      );
      expect(text).toMatch(
        /dst_service="rpc-primary".*status_code="200",classification="success",grpc_status="0"\} 10/,
      );
    } finally {
      client.close();
    }
  });

  it('routes calls with A/B metadata to the canary alone', async () => {
    const abTest = target('rpc', {
      matches: [[{ name: 'x-canary', type: 'Exact', value: 'insider' }]],
    });
    routing = [route('GRPCRoute', abTest, { canaryWeight: 0, pinned: true })];
    const client = grpcClient(proxy.url);
    try {
      const insider = await Promise.all(
        Array.from({ length: 10 }, () =>
          client.call('rpc.prod:8080', { metadata: { 'x-canary': 'insider' } }),
        ),
      );
      const others = await Promise.all(
        Array.from({ length: 10 }, () => client.call('rpc.prod:8080')),
      );
      expect(new Set(insider.map((a) => a.headers['x-fledge-pod']))).toEqual(
        new Set([pods.failing.name]),
      );
      expect(new Set(others.map((a) => a.headers['x-fledge-pod']))).toEqual(
        new Set([pods.primary.name]),
      );
    } finally {
      client.close();
    }
  });
});
