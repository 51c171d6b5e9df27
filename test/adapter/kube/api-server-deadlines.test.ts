import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, KubeRequestAborted } from '../../../src/kube/api-server.js';
import { fakeClusterApi } from '../../support/fake-api.js';

/**
 * Deadlines and aborts of ApiServer against a local server that misbehaves on purpose: an
 * API server does not stall half-way through an answer on demand.
 */
describe('ApiServer deadlines and aborts', () => {
  let server: http.Server;
  let api: ApiServer;
  const received: string[] = [];
  const open = new Set<http.ServerResponse>();

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      received.push(request.url ?? '');
      open.add(response);
      response.on('close', () => open.delete(response));
      if (request.url?.startsWith('/silent')) return;
      if (request.url?.startsWith('/trickle')) {
        // Never idle, never done: an idle-socket timeout never fires on this.
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.write('{"items": [');
        const drip = setInterval(() => response.write(' '), 20);
        response.on('close', () => clearInterval(drip));
        return;
      }
      if (request.url?.startsWith('/watch')) {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        const tick = setInterval(() => response.write('{"type":"BOOKMARK"}\n'), 50);
        response.on('close', () => clearInterval(tick));
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = fakeClusterApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    api.close();
    for (const response of open) response.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const arrived = async (path: string) => {
    while (!received.some((url) => url.startsWith(path))) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('bounds the whole call by its timeout, even an answer that never stops trickling in', async () => {
    const error = await api.request('GET', '/trickle', { timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(KubeRequestAborted);
    expect((error as KubeRequestAborted).timedOut).toBe(true);
    expect((error as Error).message).toBe('GET /trickle: no answer within 300 ms');
  });

  it("gives up on the caller's signal while the answer is being read, with the signal's reason", async () => {
    const stop = new AbortController();
    const call = api.request('GET', '/trickle/abort', { signal: stop.signal }).catch((e) => e);
    await arrived('/trickle/abort');
    stop.abort(new Error('leadership ended'));
    const error = await call;
    expect(error).toBeInstanceOf(KubeRequestAborted);
    expect((error as KubeRequestAborted).timedOut).toBe(false);
    expect((error as Error).message).toBe('GET /trickle/abort: aborted: leadership ended');
  });

  it('gives up on a signal that aborted before the call started, without sending it', async () => {
    const error = await api
      .request('GET', '/never-sent', { signal: AbortSignal.abort(new Error('stopping')) })
      .catch((e) => e);
    expect((error as Error).message).toBe('GET /never-sent: aborted: stopping');
    expect(received).not.toContain('/never-sent');
  });

  it('bounds the wait for the headers of a stream (a watch) by its timeout', async () => {
    const error = await api.stream('/silent/watch', { timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(KubeRequestAborted);
    expect((error as Error).message).toBe('GET /silent/watch: no answer within 300 ms');
  });

  it('keeps a stream open past that timeout once it answered, until its signal aborts', async () => {
    const stop = new AbortController();
    // A timeout a loaded CI machine answers within, and a wait well past it: 100 ms was
    // missed once by a local server's headers while two test workers shared two cores.
    const timeoutMs = 1_000;
    const stream = await api.stream('/watch', { timeoutMs, signal: stop.signal });
    const answeredAt = Date.now();
    let lines = 0;
    stream.on('data', () => {
      lines += 1;
    });
    const closed = new Promise((resolve) => stream.on('close', resolve));
    stream.on('error', () => undefined);
    // Events keep coming well past the header timeout.
    while (Date.now() - answeredAt < 1.5 * timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lines).toBeGreaterThan(0);
    expect(stream.destroyed).toBe(false);
    stop.abort();
    await closed;
  });

  it('refuses a timeout Node could not keep', async () => {
    await expect(api.request('GET', '/x', { timeoutMs: 2 ** 31 })).rejects.toThrow(
      /at most 2147483647 ms/,
    );
  });
});
