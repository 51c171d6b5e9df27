import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, KubeApiError, KubeRequestAborted } from '../../../src/kube/api-server.js';
import { fakeClusterApi } from '../../support/fake-api.js';

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
 * HTTP/1.1. `/held` requests answer when the test says; `/conflict` answers 409.
 */
async function serve(h2: boolean) {
  const seen: Seen[] = [];
  const held: Respond[] = [];
  let sessions = 0;
  const handler = (
    request: http2.Http2ServerRequest | import('node:http').IncomingMessage,
    response: {
      writeHead(status: number, headers: Record<string, string>): unknown;
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
      if (url.includes('/held')) held.push(respond);
      else if (url.includes('/conflict')) {
        respond(409, {
          kind: 'Status',
          reason: 'Conflict',
          message: 'the object has been modified',
        });
      } else respond(200, { path: url });
    });
  };
  const server = h2
    ? http2.createSecureServer({ ...tls, allowHTTP1: true }, handler)
    : https.createServer(tls, handler);
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
    local = await serve(true);
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
    await api.request('PATCH', '/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/web/status', {
      body: {},
      urgent: true,
    });
    expect(local.sessions()).toBe(before);
  });

  it("reports the server's refusal as it does over HTTP/1.1", async () => {
    const refused = api.request(
      'PATCH',
      '/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/conflict/status',
      {
        body: {},
        urgent: true,
      },
    );
    await expect(refused).rejects.toBeInstanceOf(KubeApiError);
    await expect(refused).rejects.toMatchObject({ statusCode: 409, reason: 'Conflict' });
  });

  it('gives up a held urgent write at its timeout, and on its caller signal', async () => {
    const timedOut = api.request(
      'PATCH',
      '/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/held-slow/status',
      {
        body: {},
        urgent: true,
        timeoutMs: 200,
      },
    );
    await expect(timedOut).rejects.toBeInstanceOf(KubeRequestAborted);
    await expect(timedOut).rejects.toMatchObject({ timedOut: true });

    const caller = new AbortController();
    const aborted = api.request(
      'PATCH',
      '/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/held-cancelled/status',
      {
        body: {},
        urgent: true,
        signal: caller.signal,
      },
    );
    await expect.poll(() => local.seen.some((r) => r.path.includes('held-cancelled'))).toBe(true);
    caller.abort(new Error('lost the lease'));
    await expect(aborted).rejects.toMatchObject({ timedOut: false });
    // The session outlives its streams.
    await api.request('GET', '/version', { urgent: true });
  });
});

describe('the urgent lane to a server that speaks only HTTP/1.1', () => {
  it('sends urgent writes over HTTP/1.1', async () => {
    const local = await serve(false);
    try {
      for (const name of ['first', 'second']) {
        await expect(
          local.api.request(
            'PATCH',
            `/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/${name}/status`,
            {
              body: {},
              urgent: true,
            },
          ),
        ).resolves.toEqual({
          path: `/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/${name}/status`,
        });
      }
      expect(local.seen.map((request) => request.version)).toEqual(['1.1', '1.1']);
    } finally {
      await local.close();
    }
  });
});
