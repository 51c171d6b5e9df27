import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { metricValue, post, serversAfterEach, webhook } from './harness.js';

const { cleanups, loadtester, target } = serversAfterEach();

const MiB = 1024 * 1024;
const TOKEN = 'f1e2d3c4b5a6978812345678abcdef00';

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('fledge loadtester: bounded under a flood', () => {
  it('keeps its gates under a flood of distinct gate keys and huge bodies, answering 429 and 413', async () => {
    // Every request is read at once here, so that only the gate cap answers 429.
    const lt = await loadtester({ capacity: { openGates: 50, busyRequests: 1_000 } });
    const t = await target();
    const sentinel = webhook({}, 'sentinel');
    expect((await post(lt, '/gate/open', sentinel)).status).toBe(202);

    const opens = Array.from({ length: 200 }, (_, i) =>
      post(lt, '/gate/open', webhook({}, `flood-${i}-${'x'.repeat(200)}`)),
    );
    const huge = Array.from({ length: 20 }, (_, i) =>
      post(
        lt,
        '/',
        webhook({ type: 'autocannon', url: `${t.url}/`, body: 'b'.repeat(MiB) }, `big-${i}`),
      ),
    );
    const opened = await Promise.all(opens);
    const bodies = await Promise.all(huge);

    expect(tally(opened.map((answer) => answer.status))).toEqual({ 202: 49, 429: 151 });
    const refused = opened.find((answer) => answer.status === 429);
    expect(refused?.body.error).toContain('50 gates are open');
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(tally(bodies.map((answer) => answer.status))).toEqual({ 413: 20 });
    expect(t.count()).toBe(0);

    expect((await post(lt, '/gate/check', sentinel)).status).toBe(200);
    expect(await metricValue(lt, 'fledge_loadtester_open_gates')).toBe(50);
    // Closing a gate makes room for another.
    expect((await post(lt, '/gate/open', webhook({}, 'newcomer'))).status).toBe(429);
    expect((await post(lt, '/gate/close', sentinel)).status).toBe(202);
    expect((await post(lt, '/gate/open', webhook({}, 'newcomer'))).status).toBe(202);
  });

  it('refuses a 1 MB gate name with 413 and a long one with 400, keeping none of them', async () => {
    const lt = await loadtester();
    const huge = await post(lt, '/gate/open', webhook({}, 'a'.repeat(1_000_000)));
    expect(huge.status).toBe(413);
    expect(huge.body.error).toContain('larger than 131072 bytes');
    const long = await post(lt, '/gate/open', webhook({}, 'a'.repeat(254)));
    expect(long.status).toBe(400);
    expect(long.body.field).toBe('name');
    expect((await post(lt, '/gate/check', webhook({}, 'a'.repeat(254)))).status).toBe(400);
  });

  it('says why it refuses a request line over 16 KiB, instead of a bare 431', async () => {
    const lt = await loadtester();
    const answer = await fetch(`${lt.url}/${'a'.repeat(20_000)}`);
    expect(answer.status).toBe(431);
    expect(((await answer.json()) as { error: string }).error).toMatch(/over 16 KiB/);
  });

  it('answers 413 to a huge chunked body, without a declared length', async () => {
    const lt = await loadtester();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${lt.url}/gate/open`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let written = 0;
      const writeMore = () => {
        while (written < 4 * MiB) {
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', writeMore);
            return;
          }
        }
        req.end();
      };
      writeMore();
    });
    expect(status).toBe(413);
  });

  it('refuses a run past the most at once with 429, and starts one once a run has ended', async () => {
    const lt = await loadtester({ capacity: { runs: 2 } });
    const t = await target();
    const load = (name: string) =>
      post(
        lt,
        '/',
        webhook({ type: 'autocannon', url: `${t.url}/`, rps: '5', duration: '1s' }, name),
      );
    expect((await load('a')).status).toBe(202);
    expect((await load('b')).status).toBe(202);
    const third = await load('c');
    expect(third.status).toBe(429);
    expect(third.body.error).toContain('2 load runs are going');
    expect((await load('a')).body.message).toBe('already running');
    await expect.poll(async () => (await load('c')).status, { timeout: 10_000 }).toBe(202);
  });

  it('refuses with 400 a load that could never fit in memory, naming connections', async () => {
    const lt = await loadtester();
    const t = await target();
    const { status, body } = await post(
      lt,
      '/',
      webhook({
        type: 'autocannon',
        url: `${t.url}/`,
        rps: '1000',
        connections: '1000',
        method: 'POST',
        body: 'b'.repeat(60_000),
      }),
    );
    expect(status).toBe(400);
    expect(body.field).toBe('metadata.connections');
    expect(body.error).toContain('lower connections or the body size');
    expect(t.count()).toBe(0);
  });

  it('answers 429 while its requests being read are at their most', async () => {
    const lt = await loadtester({ capacity: { busyRequests: 1 } });
    // One request that sends half its body and then waits holds the only reading slot.
    const stalled = request(`${lt.url}/gate/open`, {
      method: 'POST',
      headers: { 'content-length': '100' },
    });
    stalled.on('error', () => {});
    stalled.write('{"name": "api", ');
    cleanups.push(async () => {
      stalled.destroy();
    });
    await expect
      .poll(async () => (await post(lt, '/gate/open', webhook({}))).status, { timeout: 10_000 })
      .toBe(429);
    const answer = await post(lt, '/gate/open', webhook({}));
    expect(answer.body.error).toContain('1 requests are being read at once');
    // The stalled request is cut at the request timeout, which frees its slot.
    const cut = new Promise<number>((resolve) => {
      stalled.on('response', (res) => resolve(res.statusCode ?? 0));
      stalled.on('close', () => resolve(0));
    });
    expect([0, 408]).toContain(await cut);
    expect((await post(lt, '/gate/open', webhook({}))).status).toBe(202);
  }, 30_000);

  it('answers 429 past the most blocking webhooks waiting at once', async () => {
    const lt = await loadtester({ capacity: { waitingAnswers: 1 } });
    const t = await target();
    const blocking = (name: string) =>
      post(
        lt,
        '/',
        webhook(
          { type: 'autocannon', url: `${t.url}/`, rps: '5', duration: '2s', blocking: 'true' },
          name,
        ),
      );
    const first = blocking('a');
    await expect.poll(() => t.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const second = await blocking('b');
    expect(second.status).toBe(429);
    expect(second.body.error).toContain('blocking webhooks are waiting');
    expect((await first).status).toBe(200);
  });
});

describe('fledge loadtester: the shared token', () => {
  it('refuses webhook and gate calls without the token with 401, and serves those with it', async () => {
    const lt = await loadtester({ token: TOKEN });
    const t = await target();
    const load = webhook({ type: 'autocannon', url: `${t.url}/`, rps: '5', duration: '1s' });
    for (const [path, payload] of [
      ['/', load],
      ['/gate/open', webhook({})],
      ['/gate/check', webhook({})],
      ['/rollback/open', webhook({})],
      ['/gate/approve', webhook({})],
    ] as const) {
      const missing = await post(lt, path, payload);
      expect(missing.status, path).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      expect(missing.body.error).toContain('Authorization: Bearer <token>');
      const wrong = await post(lt, path, payload, { authorization: `Bearer ${TOKEN}x` });
      expect(wrong.status, path).toBe(401);
    }
    expect(t.count()).toBe(0);
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await post(lt, '/gate/open', webhook({}), auth)).status).toBe(202);
    expect((await post(lt, '/gate/check', webhook({}), auth)).status).toBe(200);
    expect((await post(lt, '/', load, auth)).status).toBe(202);
    expect((await fetch(`${lt.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${lt.url}/metrics`)).text();
    expect(metrics).toContain('fledge_loadtester_refused_total{reason="unauthorized"} 10');
  });
});
