import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiServer,
  type ClusterAccess,
  KubeApiError,
  KubeRequestAborted,
  type RequestOptions,
} from '../../../src/kube/api-server.js';
import { UrgentSession } from '../../../src/kube/urgent-session.js';
import { fakeClusterApi } from '../../support/fake-api.js';
import { startStallingProxy } from '../../support/stalling-proxy.js';

let dir: string;
let tls: { key: Buffer; cert: Buffer };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fledge-h2-'));
  execFileSync(
    'openssl',
    // biome-ignore format: openssl's arguments read best as one command line
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.crt', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { cwd: dir, stdio: 'pipe' },
  );
  tls = {
    key: readFileSync(path.join(dir, 'server.key')),
    cert: readFileSync(path.join(dir, 'server.crt')),
  };
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Rollout's status path in namespace prod. */
const statusOf = (name: string) =>
  `/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/${name}/status`;

/** A rollback's deciding status write, on the urgent lane. */
const urgentStatus = (api: ApiServer, name: string, options: RequestOptions = {}) =>
  api.request('PATCH', statusOf(name), { body: {}, urgent: true, ...options });

/** GET /version straight on an UrgentSession, skipping the API client. */
const versionOn = (lane: UrgentSession, origin: string) =>
  lane.request({
    url: new URL(`${origin}/version`),
    method: 'GET',
    options: { rejectUnauthorized: false, headers: {} },
    payload: undefined,
    signal: new AbortController().signal,
    opened: () => {},
  });

/** What a local server saw of one request. */
interface Seen {
  path: string;
  version: string;
  authorization: string | undefined;
  body: string;
}

type Respond = (status: number, body: unknown) => void;

/**
 * A local HTTPS server that speaks HTTP/2 and HTTP/1.1 (as kube-apiserver does), or only
 * HTTP/1.1: refusing `h2` with a TLS alert (Node's default), or choosing no protocol at all.
 * `/held` requests answer when the test says; `/conflict` answers 409; `/drop` sends its
 * headers and half its body, then the connection goes.
 */
async function serve(speaks: 'h2' | 'http/1.1' | 'no ALPN') {
  const seen: Seen[] = [];
  const held: Respond[] = [];
  let sessions = 0;
  const handler = (
    request: http2.Http2ServerRequest | import('node:http').IncomingMessage,
    response: {
      writeHead(status: number, headers: Record<string, string>): unknown;
      write(chunk: string): unknown;
      end(body: string): unknown;
    },
  ) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const url = request.url ?? '';
      seen.push({
        path: url,
        version: request.httpVersion,
        authorization: request.headers.authorization,
        body,
      });
      const respond: Respond = (status, answer) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      };
      if (url.includes('/drop')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"kind":"Rollo');
        setTimeout(() => (request as http2.Http2ServerRequest).stream.session?.destroy(), 20);
      } else if (url.includes('/held')) held.push(respond);
      else if (url.includes('/conflict')) {
        respond(409, {
          kind: 'Status',
          reason: 'Conflict',
          message: 'the object has been modified',
        });
      } else respond(200, { path: url });
    });
  };
  const server =
    speaks === 'h2'
      ? http2.createSecureServer({ ...tls, allowHTTP1: true }, handler)
      : https.createServer(speaks === 'no ALPN' ? { ...tls, ALPNProtocols: [] } : tls, handler);
  server.on('session', () => {
    sessions += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = fakeClusterApi(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    api,
    seen,
    held,
    sessions: () => sessions,
    close: async () => {
      for (const respond of held.splice(0)) respond(200, {});
      api.close();
      server.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
    },
  };
}

describe('the urgent lane over HTTP/2', () => {
  let local: Awaited<ReturnType<typeof serve>>;
  let api: ApiServer;

  beforeAll(async () => {
    local = await serve('h2');
    api = local.api;
  });

  afterAll(() => local.close());

  it('sends a hundred urgent writes at once on one connection, and routine ones over HTTP/1.1', async () => {
    const urgent = Array.from({ length: 100 }, (_, i) =>
      api.request(
        'PATCH',
        `/apis/split.smi-spec.io/v1alpha2/namespaces/prod/trafficsplits/held-${i}`,
        {
          body: { spec: { backends: [{ service: `app-${i}`, weight: 0 }] } },
          contentType: 'application/merge-patch+json',
          urgent: true,
        },
      ),
    );
    await expect.poll(() => local.held.length, { timeout: 10_000 }).toBe(100);
    for (const respond of local.held.splice(0)) respond(200, { kind: 'TrafficSplit' });
    await expect(Promise.all(urgent)).resolves.toHaveLength(100);
    await api.request('GET', '/api/v1/namespaces/prod/configmaps/routine');

    const urgentSeen = local.seen.filter((request) => request.path.includes('/held-'));
    expect(new Set(urgentSeen.map((request) => request.version))).toEqual(new Set(['2.0']));
    expect(urgentSeen[0]?.authorization).toBe('Bearer secret-token');
    expect(urgentSeen[0]?.body).toMatch(
      /^\{"spec":\{"backends":\[\{"service":"app-\d+","weight":0\}\]\}\}$/,
    );
    expect(local.seen.at(-1)).toMatchObject({
      path: '/api/v1/namespaces/prod/configmaps/routine',
      version: '1.1',
    });
    expect(local.sessions()).toBe(1);
  });

  it('keeps the connection for the next rollback', async () => {
    const before = local.sessions();
    await urgentStatus(api, 'web');
    expect(local.sessions()).toBe(before);
  });

  it("reports the server's refusal as it does over HTTP/1.1", async () => {
    const refused = urgentStatus(api, 'conflict');
    await expect(refused).rejects.toBeInstanceOf(KubeApiError);
    await expect(refused).rejects.toMatchObject({ statusCode: 409, reason: 'Conflict' });
  });

  it('gives up a held urgent write at its timeout, and on its caller signal', async () => {
    const timedOut = urgentStatus(api, 'held-slow', { timeoutMs: 200 });
    await expect(timedOut).rejects.toBeInstanceOf(KubeRequestAborted);
    await expect(timedOut).rejects.toMatchObject({ timedOut: true });

    const caller = new AbortController();
    const aborted = urgentStatus(api, 'held-cancelled', { signal: caller.signal });
    await expect.poll(() => local.seen.some((r) => r.path.includes('held-cancelled'))).toBe(true);
    caller.abort(new Error('lost the lease'));
    await expect(aborted).rejects.toBeInstanceOf(KubeRequestAborted);
    await expect(aborted).rejects.toMatchObject({ timedOut: false });
    // The session outlives its streams.
    const before = local.sessions();
    await api.request('GET', '/version', { urgent: true });
    expect(local.sessions()).toBe(before);
  });

  // A session that dies mid-answer still ends its streams with what had arrived: that was
  // taken for a whole answer (a JSON error on half a Rollout, or "empty response").
  it('fails a call whose connection goes mid-answer, and the next call dials again', async () => {
    const before = local.sessions();
    const dropped = urgentStatus(api, 'drop');
    await expect(dropped).rejects.toThrow(
      /closed before the answer ended|ECONNRESET|GOAWAY|session/i,
    );
    await expect(dropped).rejects.not.toBeInstanceOf(SyntaxError);
    await expect(dropped).rejects.not.toBeInstanceOf(KubeApiError);
    expect(local.seen.filter((request) => request.path.includes('/drop'))).toHaveLength(1);
    await api.request('GET', '/version', { urgent: true });
    expect(local.sessions()).toBe(before + 1);
  });
});

describe('the urgent lane to a server that speaks only HTTP/1.1', () => {
  it.each(['http/1.1', 'no ALPN'] as const)(
    'sends urgent writes over HTTP/1.1 (%s)',
    async (speaks) => {
      const local = await serve(speaks);
      try {
        for (const name of ['first', 'second']) {
          await expect(urgentStatus(local.api, name)).resolves.toEqual({
            path: statusOf(name),
          });
        }
        expect(local.seen.map((request) => request.version)).toEqual(['1.1', '1.1']);
      } finally {
        await local.close();
      }
    },
  );
});

describe('a session whose connection dies silently', () => {
  it('is dropped when a ping goes unanswered, and the next call dials anew', async () => {
    const server = http2.createSecureServer(tls, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = await startStallingProxy({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
    });
    const lane = new UrgentSession({ pingEveryMs: 100, pingTimeoutMs: 200 });
    const call = () => versionOn(lane, `https://${proxy.address}`);
    try {
      await expect(call()).resolves.toEqual({ status: 200, body: '{}' });
      expect(proxy.accepted).toBe(1);
      // A partition: the old connection answers nothing, not even pings.
      proxy.stall();
      await new Promise((resolve) => setTimeout(resolve, 600));
      proxy.resume();
      await expect(call()).resolves.toEqual({ status: 200, body: '{}' });
      expect(proxy.accepted).toBe(2);
    } finally {
      lane.close();
      await proxy.close();
      server.close();
    }
  });

  it('says a call on a dial that failed was not sent, with the dial error as its cause', async () => {
    const closed = http2.createSecureServer(tls);
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const lane = new UrgentSession();
    await expect(versionOn(lane, `https://127.0.0.1:${port}`)).rejects.toMatchObject({
      name: 'UrgentNotSent',
      cause: { code: 'ECONNREFUSED' },
    });
    // Sent again over HTTP/1.1 by the API client, it fails as HTTP/1.1 does.
    const api = fakeClusterApi(`https://127.0.0.1:${port}`);
    await expect(api.request('PATCH', '/x', { body: {}, urgent: true })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    api.close();
  });
});

describe('a proxy that takes HTTP/2 and resets it', () => {
  it('fails the calls it swallowed without sending them again, then keeps to HTTP/1.1', async () => {
    const seen: string[] = [];
    const server = https.createServer(
      { ...tls, ALPNProtocols: ['h2', 'http/1.1'] },
      (request, response) => {
        seen.push(`${request.httpVersion} ${request.url}`);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      },
    );
    server.on('secureConnection', (socket) => {
      if (socket.alpnProtocol === 'h2') socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = fakeClusterApi(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        outcomes.push(
          await api.request('PATCH', `/rollback-${i}`, { body: {}, urgent: true }).then(
            () => 'answered',
            () => 'failed',
          ),
        );
      }
      expect(outcomes).toEqual(['failed', 'failed', 'failed', 'answered']);
      expect(seen).toEqual(['1.1 /rollback-3']);
    } finally {
      api.close();
      server.close();
      server.closeAllConnections();
    }
  });
});

describe('credentials and headers on the HTTP/2 lane', () => {
  it('sends what HTTP/1.1 sends, and tells the kubeconfig of a 401', async () => {
    const seen: Array<{ version: string; url: string; headers: Record<string, unknown> }> = [];
    const server = http2.createSecureServer({ ...tls, allowHTTP1: true }, (request, response) => {
      seen.push({
        version: request.httpVersion,
        url: request.url,
        headers: { ...request.headers },
      });
      request.resume();
      request.on('end', () => {
        const refused = request.url.includes('/revoked');
        response.writeHead(refused ? 401 : 200, { 'content-type': 'application/json' });
        response.end(
          refused
            ? JSON.stringify({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' })
            : '{}',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let rejected = 0;
    const access: ClusterAccess = {
      getCurrentCluster: () => ({
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      }),
      async applyToHTTPSOptions(options) {
        options.rejectUnauthorized = false;
        options.headers = {
          ...options.headers,
          Authorization: 'Bearer rotating-token',
          'Impersonate-User': 'jane',
          'Impersonate-Group': ['developers', 'oncall'],
        };
      },
      credentialsRejected: () => {
        rejected += 1;
      },
    };
    const api = new ApiServer(access, 'fledge/test');
    try {
      const path = statusOf('web');
      for (const urgent of [true, false]) {
        await api.request('PATCH', path, {
          query: { fieldManager: 'fledge', dryRun: 'All' },
          body: { status: { phase: 'Failed' } },
          contentType: 'application/merge-patch+json',
          urgent,
        });
      }
      const [overH2, overH1] = seen;
      expect([overH2?.version, overH1?.version]).toEqual(['2.0', '1.1']);
      for (const request of [overH2, overH1]) {
        expect(request?.url).toBe(`${path}?fieldManager=fledge&dryRun=All`);
        expect(request?.headers).toMatchObject({
          authorization: 'Bearer rotating-token',
          'impersonate-user': 'jane',
          'content-type': 'application/merge-patch+json',
          'content-length': String(JSON.stringify({ status: { phase: 'Failed' } }).length),
          'user-agent': 'fledge/test',
          accept: 'application/json',
        });
      }
      // Node joins a repeated header's values on HTTP/1.1; HTTP/2 keeps them as sent.
      expect(String(overH2?.headers['impersonate-group'])).toBe(
        String(overH1?.headers['impersonate-group']),
      );

      const revoked = api.request('PATCH', '/revoked', { body: {}, urgent: true });
      await expect(revoked).rejects.toMatchObject({ statusCode: 401, reason: 'Unauthorized' });
      expect(rejected).toBe(1);
    } finally {
      api.close();
      server.close();
    }
  });
});
