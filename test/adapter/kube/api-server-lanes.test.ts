import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../src/kube/api-server.js';
import { fakeClusterApi } from '../../support/fake-api.js';

/** As many requests as the routine lane has sockets (api-server.ts). */
const ROUTINE_SOCKETS = 32;

describe('ApiServer lanes against a local HTTP server', () => {
  let server: http.Server;
  let api: ApiServer;
  const held: http.ServerResponse[] = [];
  const received: string[] = [];
  const answer = (response: http.ServerResponse, body: unknown) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  beforeAll(async () => {
    // `/held` answers only when the test lets it: a busy server, or a slow list.
    server = http.createServer((request, response) => {
      received.push(request.url ?? '');
      if (request.url?.startsWith('/api/v1/namespaces/prod/configmaps/held')) held.push(response);
      else answer(response, { path: request.url });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = fakeClusterApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    for (const response of held.splice(0)) answer(response, {});
    api.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends an urgent request while every socket of the routine lane waits for an answer', async () => {
    const routine = Array.from({ length: ROUTINE_SOCKETS + 4 }, (_, i) =>
      api.request('GET', `/api/v1/namespaces/prod/configmaps/held-${i}`),
    );
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(ROUTINE_SOCKETS);

    const urgent = await api.request('PATCH', '/apis/split.smi-spec.io/v1alpha2/x', {
      body: {},
      urgent: true,
    });
    expect(urgent).toEqual({ path: '/apis/split.smi-spec.io/v1alpha2/x' });
    // The routine requests beyond the lane's sockets are still queued on the client.
    expect(held.length).toBe(ROUTINE_SOCKETS);

    let done = false;
    const all = Promise.all(routine).then(() => {
      done = true;
    });
    while (!done) {
      for (const response of held.splice(0)) answer(response, {});
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await all;
  });

  // At 1,000 progressing, the 50 rollbacks of one interval waited up to 0.9 s for one of 8,
  // and up to 238 ms for one of 32 once each sent its status and route writes together.
  it('sends the two writes of 32 rollbacks at once', async () => {
    const urgent = Array.from({ length: 2 * 32 }, (_, i) =>
      api.request('PATCH', `/api/v1/namespaces/prod/configmaps/held-urgent-${i}`, {
        body: {},
        urgent: true,
      }),
    );
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(2 * 32);
    for (const response of held.splice(0)) answer(response, {});
    await Promise.all(urgent);
  });

  // A rollback's route write waited on a busy API server behind 32 routine requests.
  it('sends no routine request while an urgent one is in flight, and sends it after', async () => {
    const urgent = api.request('PATCH', '/api/v1/namespaces/prod/configmaps/held-rollback', {
      body: {},
      urgent: true,
    });
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const routine = api.request('GET', '/api/v1/namespaces/prod/configmaps/routine-step');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).not.toContain('/api/v1/namespaces/prod/configmaps/routine-step');

    for (const response of held.splice(0)) answer(response, {});
    await urgent;
    expect(await routine).toEqual({ path: '/api/v1/namespaces/prod/configmaps/routine-step' });
  });

  it("gives up a request that waits for a socket when the caller's signal aborts, and sends nothing", async () => {
    const routine = Array.from({ length: ROUTINE_SOCKETS }, (_, i) =>
      api.request('GET', `/api/v1/namespaces/prod/configmaps/held-${i}`),
    );
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(ROUTINE_SOCKETS);
    const term = new AbortController();
    const queued = api.request('GET', '/api/v1/namespaces/prod/configmaps/given-up', {
      signal: term.signal,
    });
    term.abort(new Error('the term ended'));
    await expect(queued).rejects.toThrow(
      'GET /api/v1/namespaces/prod/configmaps/given-up: aborted: the term ended',
    );
    for (const response of held.splice(0)) answer(response, {});
    await Promise.all(routine);
    expect(received).not.toContain('/api/v1/namespaces/prod/configmaps/given-up');
  });

  // At 10,000 initializing Rollouts the queue outgrew the timeout: every request timed out
  // waiting, was retried, and the controller sent 60,000 status patches without one landing.
  it("counts a request's timeout from its connection, not from its wait for a socket", async () => {
    const routine = Array.from({ length: ROUTINE_SOCKETS }, (_, i) =>
      api.request('GET', `/api/v1/namespaces/prod/configmaps/held-${i}`),
    );
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(ROUTINE_SOCKETS);
    // A timeout a loaded CI machine answers within once connected; the queue outlasts it.
    const queued = api.request('GET', '/api/v1/namespaces/prod/configmaps/queued', {
      timeoutMs: 1_000,
    });
    const outcome = queued.then(
      (answer) => answer,
      (error: Error) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const response of held.splice(0)) answer(response, {});
    await Promise.all(routine);
    expect(await outcome).toEqual({ path: '/api/v1/namespaces/prod/configmaps/queued' });

    // Once connected, a server that does not answer still runs into the timeout.
    const silent = api.request('GET', '/api/v1/namespaces/prod/configmaps/held-silent', {
      timeoutMs: 300,
    });
    await expect(silent).rejects.toThrow(/no answer within 300 ms/);
    for (const response of held.splice(0)) answer(response, {});
  });
});
