import http from 'node:http';
import net from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PodApp, startPodApp } from '../../../src/playground/kubelet/pod-app.js';
import type { EndpointSliceObject, ServiceObject } from '../../../src/playground/mesh/endpoints.js';
import { FAILFAST_MS, MeshState } from '../../../src/playground/mesh/mesh-state.js';
import { startMetricsServer } from '../../../src/playground/mesh/metrics-server.js';
import type { PodObject } from '../../../src/playground/mesh/pod-identity.js';
import { ProxyMetrics } from '../../../src/playground/mesh/proxy-metrics.js';
import { type ProxyServer, startProxyServer } from '../../../src/playground/mesh/proxy-server.js';
import type { RoutingObject } from '../../../src/playground/mesh/routing-table.js';
import { type ProxyAnswer, viaProxy } from '../../support/via-proxy.js';

// Addresses under 127.9 so this never meets a playground's pods (127.1 and up).
const pods = {
  primary: {
    name: 'api-primary-5f6-a',
    ip: '127.9.0.1',
    hash: '5f6',
    rs: 'api-primary-5f6',
    image: 'api:1.0.0',
  },
  canary: { name: 'api-7c8-b', ip: '127.9.0.2', hash: '7c8', rs: 'api-7c8', image: 'api:2.0.0' },
  gone: { name: 'gone-1a2-c', ip: '127.9.0.3', hash: '1a2', rs: 'gone-1a2', image: 'gone:1' },
  // Served by the primary's app through a relay that holds each request back (see below).
  far: { name: 'far-9d8-d', ip: '127.9.0.4', hash: '9d8', rs: 'far-9d8', image: 'api:1.0.0' },
};
/** How long the relay in front of the `far` pod holds each request. */
const networkDelayMs = 300;
const appPort = 18080;

const services = new Map<string, ServiceObject>();
const slices = new Map<string, EndpointSliceObject>();
const podObjects = new Map<string, PodObject>();
let routing: RoutingObject[] = [];
for (const [service, pod] of [
  ['api-primary', pods.primary],
  ['api-canary', pods.canary],
  ['api', pods.primary],
  ['gone', pods.gone],
  ['far', pods.far],
] as const) {
  services.set(`prod/${service}`, {
    metadata: { name: service, namespace: 'prod' },
    spec: { ports: [{ name: 'http', port: 8080 }] },
  });
  slices.set(`prod/${service}`, {
    metadata: {
      name: `${service}-x1`,
      namespace: 'prod',
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: [pod.ip],
        conditions: { ready: true },
        targetRef: { kind: 'Pod', name: pod.name, namespace: 'prod' },
      },
    ],
    ports: [{ name: 'http', port: appPort }],
  });
  podObjects.set(`prod/${pod.name}`, {
    metadata: {
      name: pod.name,
      namespace: 'prod',
      labels: { 'pod-template-hash': pod.hash },
      ownerReferences: [{ kind: 'ReplicaSet', name: pod.rs, controller: true }],
    },
  });
}
services.set('prod/idle', {
  metadata: { name: 'idle', namespace: 'prod' },
  spec: { ports: [{ port: 8080 }] },
});

const state = new MeshState({
  service: (namespace, name) => services.get(`${namespace}/${name}`),
  endpointSlices: (namespace, service) => {
    const found = slices.get(`${namespace}/${service}`);
    return found ? [found] : [];
  },
  pod: (namespace, name) => podObjects.get(`${namespace}/${name}`),
  routingObjects: () => routing,
});
const metrics = new ProxyMetrics();
const apps: PodApp[] = [];
let proxy: ProxyServer;
let metricsServer: { url: string; close(): Promise<void> };
let relay: net.Server;

/**
 * Stands for whatever lies between a caller's proxy and a pod: the network, or in the
 * playground the turns of a busy event loop. It delays each request, not the answer.
 */
async function startDelayingRelay(from: string, to: string, port: number): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(port, to);
    client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), networkDelayMs));
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, from, resolve));
  return server;
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function send(url: string, headers: Record<string, string> = {}): Promise<ProxyAnswer> {
  return viaProxy(proxy.url, url, { headers, agent });
}

function trafficSplit(primary: number, canary: number): RoutingObject {
  return {
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: { name: 'api', namespace: 'prod' },
    spec: {
      service: 'api',
      backends: [
        { service: 'api-primary', weight: primary },
        { service: 'api-canary', weight: canary },
      ],
    },
  };
}

function sample(text: string, name: string, labels: string[]): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

beforeAll(async () => {
  for (const [pod, env] of [
    [pods.primary, { errorRate: 0, latencyMs: 0 }],
    [pods.canary, { errorRate: 0.5, latencyMs: 30 }],
  ] as const) {
    apps.push(
      await startPodApp({
        ip: pod.ip,
        port: appPort,
        namespace: 'prod',
        pod: pod.name,
        container: 'app',
        image: pod.image,
        behaviour: env,
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
  metricsServer = await startMetricsServer(metrics, '127.0.0.1', 0);
  relay = await startDelayingRelay(pods.far.ip, pods.primary.ip, appPort);
});

afterAll(async () => {
  agent.destroy();
  relay?.close();
  await Promise.all([proxy?.close(), metricsServer?.close(), ...apps.map((app) => app.close(0))]);
});

describe('mesh proxy', () => {
  it('forwards a request for a Service to its pod, whose answer names the pod, image and version', async () => {
    routing = [];
    state.invalidateRoutes();
    const answer = await send('http://api.prod:8080/hello');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      pod: pods.primary.name,
      image: 'api:1.0.0',
      version: '1.0.0',
    });
  });

  it('splits 200 requests 70/30 by TrafficSplit weights; the canary fails half and adds its latency', async () => {
    routing = [trafficSplit(70, 30)];
    state.invalidateRoutes();
    const answers = [];
    for (let batch = 0; batch < 10; batch++) {
      const requests = Array.from({ length: 20 }, () =>
        send('http://api.prod.svc.cluster.local:8080/'),
      );
      answers.push(...(await Promise.all(requests)));
    }
    const canary = answers.filter((a) => a.body.includes(pods.canary.name));
    expect(canary).toHaveLength(60);
    expect(canary.filter((a) => a.status === 500)).toHaveLength(30);
    expect(
      answers.filter((a) => a.status !== 200 && !a.body.includes(pods.canary.name)),
    ).toHaveLength(0);
    expect(Math.min(...canary.map((a) => a.ms))).toBeGreaterThanOrEqual(29);
  });

  it('exports inbound and outbound series that Flagger-style queries can read', async () => {
    const text = await (await fetch(metricsServer.url)).text();
    const inboundCanary = ['direction="inbound"', 'deployment="api"', 'namespace="prod"'];
    expect(sample(text, 'response_total', inboundCanary)).toBe(60);
    expect(sample(text, 'response_total', [...inboundCanary, 'classification="failure"'])).toBe(30);
    expect(sample(text, 'response_latency_ms_bucket', [...inboundCanary, 'le="20"'])).toBe(0);
    expect(sample(text, 'response_latency_ms_bucket', [...inboundCanary, 'le="+Inf"'])).toBe(60);
    const outboundCanary = [
      'direction="outbound"',
      'dst_service="api-canary"',
      'dst_namespace="prod"',
      'deployment="mesh-client"',
    ];
    expect(sample(text, 'response_total', outboundCanary)).toBe(60);
    expect(
      sample(text, 'request_total', [
        'direction="outbound"',
        'dst_service="api-primary"',
        'authority="api.prod.svc.cluster.local:8080"',
      ]),
    ).toBe(140);
  });

  it('counts outbound traffic under the caller named by the l5d-client header', async () => {
    await send('http://api-primary.prod:8080/', { 'l5d-client': 'shop/frontend/frontend-abc' });
    const text = await (await fetch(metricsServer.url)).text();
    expect(
      sample(text, 'request_total', [
        'namespace="shop"',
        'deployment="frontend"',
        'pod="frontend-abc"',
      ]),
    ).toBe(1);
  });

  it('resolves a bare Service name in the namespace of the l5d-dst-namespace header', async () => {
    const answer = await send('http://api-canary:8080/', { 'l5d-dst-namespace': 'prod' });
    expect(answer.body).toContain(pods.canary.name);
  });

  it('routes an origin-form request by its Host header, for tools without proxy support', async () => {
    const proxyUrl = new URL(proxy.url);
    const answer = await new Promise<string>((resolve, reject) => {
      http
        .get(
          {
            host: proxyUrl.hostname,
            port: proxyUrl.port,
            path: '/x',
            headers: { host: 'api-canary.prod:8080' },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk) => {
              body += chunk;
            });
            res.on('end', () => resolve(body));
          },
        )
        .on('error', reject);
    });
    expect(answer).toContain(pods.canary.name);
  });

  it('answers 502 with a clear body for a host that is not a cluster Service', async () => {
    const answer = await send('http://www.example.com:8080/');
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/cannot route to "www.example.com:8080"/);
    const unknown = await send('http://nope.prod:8080/');
    expect(unknown.status).toBe(502);
    expect(unknown.body).toMatch(/no Service "nope" in namespace "prod"/);
  });

  it('answers 503 for a Service without endpoints once it has had none for the fail-fast time, as the Linkerd proxy does', async () => {
    const started = Date.now();
    const answer = await send('http://idle.prod:8080/');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/has no ready endpoints/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(FAILFAST_MS - 50);
  });

  it('holds a request while the Service has no endpoint and forwards it once the EndpointSlice lists one', async () => {
    services.set('prod/late', {
      metadata: { name: 'late', namespace: 'prod' },
      spec: { ports: [{ name: 'http', port: 8080 }] },
    });
    const answering = send('http://late.prod:8080/');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const primary = slices.get('prod/api-primary') as EndpointSliceObject;
    slices.set('prod/late', {
      ...primary,
      metadata: { ...primary.metadata, name: 'late-x1' },
    });
    const answer = await answering;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(pods.primary.name);
  });

  it('answers 502 naming the pod when its address refuses the connection', async () => {
    const answer = await send('http://gone.prod:8080/');
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/pod prod\/gone-1a2-c at 127.9.0.3:18080 failed: ECONNREFUSED/);
  });

  it("records inbound latency as the app's own time, and outbound latency as the whole trip", async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => send('http://far.prod:8080/')),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const text = await (await fetch(metricsServer.url)).text();
    const inbound = ['direction="inbound"', 'deployment="far"'];
    const outbound = ['direction="outbound"', 'dst_service="far"'];
    // The app answers at once, so its own proxy sees no delay: the relay is not the app.
    expect(sample(text, 'response_latency_ms_bucket', [...inbound, 'le="50"'])).toBe(5);
    // The caller's proxy waits for the relay too, as a client's proxy waits for the network.
    expect(sample(text, 'response_latency_ms_bucket', [...outbound, 'le="200"'])).toBe(0);
    expect(sample(text, 'response_latency_ms_bucket', [...outbound, 'le="+Inf"'])).toBe(5);
  });
});
