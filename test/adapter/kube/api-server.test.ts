import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, KubeApiError } from '../../../src/kube/api-server.js';
import { fakeClusterApi } from '../../support/fake-api.js';

describe('ApiServer against a local HTTP server', () => {
  let server: http.Server;
  let connections = 0;
  let api: ApiServer;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url?.startsWith('/api/v1/namespaces/prod/configmaps/missing')) {
        response.writeHead(404, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({
            kind: 'Status',
            reason: 'NotFound',
            message: 'configmaps "missing" not found',
          }),
        );
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ authorization: request.headers.authorization }));
    });
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = fakeClusterApi(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      'local-token',
    );
  });

  afterAll(async () => {
    api.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the credentials and reuses one connection for consecutive requests', async () => {
    connections = 0;
    for (let i = 0; i < 10; i++) {
      expect(await api.request('GET', '/api/v1/namespaces')).toEqual({
        authorization: 'Bearer local-token',
      });
    }
    expect(connections).toBe(1);
  });

  it('turns a Status answer into an error naming the request, code, reason and message', async () => {
    const error = await api
      .request('GET', '/api/v1/namespaces/prod/configmaps/missing')
      .catch((e) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as Error).message).toBe(
      'GET /api/v1/namespaces/prod/configmaps/missing: 404 NotFound: configmaps "missing" not found',
    );
  });
});
