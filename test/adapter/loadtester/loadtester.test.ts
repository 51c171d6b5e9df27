import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startLoadtester } from '../../../src/loadtester/server.js';
import { logLines, metricValue, post, serversAfterEach, webhook } from './harness.js';
import { startForwardProxy } from './servers.js';

const logger = pino({ level: 'silent' });
const { cleanups, loadtester, target } = serversAfterEach();

describe('fledge loadtester: load', () => {
  it('keeps the achieved rate within 10% of rps (200 rps for 3 s)', async () => {
    const lt = await loadtester();
    const t = await target();
    const metadata = { type: 'autocannon', url: `${t.url}/`, rps: '200', duration: '3s' };
    const { status, body } = await post(lt, '/', webhook({ ...metadata, blocking: 'true' }));
    expect(status).toBe(200);
    expect(t.count()).toBeLessThanOrEqual(600);
    const achieved = t.count() / body.summary.durationSeconds;
    expect(achieved).toBeGreaterThanOrEqual(180);
    expect(achieved).toBeLessThanOrEqual(220);
    expect(body.summary.rps).toBeGreaterThanOrEqual(180);
    expect(body.summary.rps).toBeLessThanOrEqual(220);
  });

  it('answers a blocking run with how many requests failed, and logs how: classes and latencies', async () => {
    const log = logLines();
    const lt = await loadtester({ logger: log.logger });
    const t = await target({ latencyMs: 20, failEvery: 10 });
    const metadata = { type: 'autocannon', url: `${t.url}/`, rps: '100', duration: '2s' };
    const { status, body } = await post(lt, '/', webhook({ ...metadata, blocking: 'true' }));
    expect(status).toBe(200);
    expect(body.result).toBe('completed');
    const { summary } = body;
    expect(Object.keys(summary).sort()).toEqual([
      'durationSeconds',
      'failed',
      'requests',
      'rps',
      'stopped',
    ]);
    expect(summary.requests).toBeGreaterThanOrEqual(180);
    expect(summary.failed).toBeGreaterThanOrEqual(Math.floor(summary.requests / 10) - 1);
    expect(summary.failed).toBeLessThanOrEqual(Math.ceil(summary.requests / 10));
    const finished = log.lines.find((line) => line.msg === 'load finished');
    const full = finished?.summary as {
      '2xx': number;
      non2xx: number;
      errors: number;
      latencyMs: { p50: number; p99: number };
    };
    expect(full.errors).toBe(0);
    expect(full.non2xx).toBe(summary.failed);
    expect(full.latencyMs.p50).toBeGreaterThanOrEqual(20);
    expect(full.latencyMs.p50).toBeLessThan(200);
    expect(full.latencyMs.p99).toBeGreaterThanOrEqual(full.latencyMs.p50);
  });

  it('fails a blocking check with 500 above maxErrorRate and passes it below', async () => {
    const lt = await loadtester();
    // One target per check, so each sees exactly one failure in five.
    const targets = [await target({ failEvery: 5 }), await target({ failEvery: 5 })];
    const check = (maxErrorRate: string, index: number) =>
      post(
        lt,
        '/',
        webhook({
          type: 'autocannon',
          url: `${targets[index]?.url}/`,
          rps: '50',
          duration: '1s',
          blocking: 'true',
          maxErrorRate,
        }),
      );
    const [strict, lenient] = await Promise.all([check('0.05', 0), check('30%', 1)]);
    expect(strict.status).toBe(500);
    expect(strict.body).toMatchObject({ result: 'failed', maxErrorRate: 0.05 });
    expect(strict.body.errorRate).toBe(0.2);
    expect(strict.body.error).toContain('above maxErrorRate 0.05');
    expect(lenient.status).toBe(200);
    expect(lenient.body).toMatchObject({ result: 'passed', maxErrorRate: 0.3 });
  });

  it('fails a blocking check when the target refuses connections, without a storm of errors', async () => {
    const lt = await loadtester();
    const t = await target();
    await t.close();
    const { status, body } = await post(
      lt,
      '/',
      webhook({
        type: 'autocannon',
        url: `${t.url}/`,
        rps: '20',
        duration: '1s',
        blocking: 'true',
        maxErrorRate: '0.5',
      }),
    );
    expect(status).toBe(500);
    expect(body.summary.failed).toBe(body.summary.requests);
    expect(body.summary.failed).toBeGreaterThan(0);
    expect(body.summary.failed).toBeLessThanOrEqual(60);
  });

  it('keeps exactly one background load per rollout and target, and restarts a finished one', async () => {
    const lt = await loadtester();
    const t = await target();
    const metadata = { type: 'autocannon', url: `${t.url}/`, rps: '50', duration: '1s' };
    const first = await post(lt, '/', webhook(metadata));
    const second = await post(lt, '/', webhook(metadata));
    const otherRollout = await post(lt, '/', webhook(metadata, 'web'));
    expect(first).toMatchObject({ status: 202, body: { message: 'load started' } });
    expect(second).toMatchObject({ status: 202, body: { message: 'already running' } });
    expect(second.body.startedAt).toBe(first.body.startedAt);
    expect(otherRollout).toMatchObject({ status: 202, body: { message: 'load started' } });
    await expect
      .poll(() => metricValue(lt, 'fledge_loadtester_active_runs'), { timeout: 4_000 })
      .toBe(0);
    expect(t.count()).toBe(100);
    const restarted = await post(lt, '/', webhook(metadata));
    expect(restarted).toMatchObject({ status: 202, body: { message: 'load started' } });
  });

  it('answers a second blocking webhook for a running load with that load summary', async () => {
    const lt = await loadtester();
    const t = await target();
    const metadata = {
      type: 'autocannon',
      url: `${t.url}/`,
      rps: '20',
      duration: '1s',
      blocking: 'true',
    };
    const [first, second] = await Promise.all([
      post(lt, '/', webhook(metadata)),
      post(lt, '/', webhook(metadata)),
    ]);
    expect([first.body.joined, second.body.joined].sort()).toEqual([false, true]);
    expect(second.body.summary).toEqual(first.body.summary);
    expect(t.count()).toBe(20);
  });

  it("sends load through the mesh proxy in absolute form, by the Service's full name, without the fragment", async () => {
    const t = await target();
    const proxy = await startForwardProxy(t.port);
    cleanups.push(() => proxy.close());
    const lt = await loadtester({ allowHosts: [], proxy: proxy.url });
    const { status, body } = await post(
      lt,
      '/',
      webhook({
        type: 'autocannon',
        url: 'http://api.production:8080/hello?x=1#.svc',
        rps: '20',
        duration: '1s',
        blocking: 'true',
        maxErrorRate: '0',
      }),
    );
    expect(status).toBe(200);
    expect(body.summary.requests).toBeGreaterThanOrEqual(18);
    expect(body.summary.failed).toBe(0);
    expect(proxy.seen[0]?.url).toBe('http://api.production.svc.cluster.local:8080/hello?x=1');
    expect(proxy.seen[0]?.headers.host).toBe('api.production.svc.cluster.local:8080');
    expect(proxy.seen[0]?.headers['l5d-client']).toBe('fledge-system/fledge-loadtester');
    expect(t.seen[0]?.url).toBe('/hello?x=1');
  });

  it('refuses an https target with the mesh proxy, naming the fix', async () => {
    const lt = await loadtester({ allowHosts: [], proxy: 'http://127.0.0.1:9' });
    const { status, body } = await post(
      lt,
      '/',
      webhook({ type: 'autocannon', url: 'https://api.production:8443/' }),
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({ field: 'metadata.url' });
    expect(body.error).toContain('use http://');
  });

  it('stops every load on stop(), answering a pending blocking webhook with 503', async () => {
    const lt = await startLoadtester({ port: 0, allowHosts: ['127.0.0.1'], logger });
    cleanups.push(() => lt.stop());
    const t = await target();
    const background = { type: 'autocannon', url: `${t.url}/bg`, rps: '50', duration: '1m' };
    await post(lt, '/', webhook(background));
    const pending = post(lt, '/', webhook({ ...background, url: `${t.url}/fg`, blocking: 'true' }));
    await expect.poll(() => t.count(), { timeout: 3_000 }).toBeGreaterThan(20);
    const startedStopping = Date.now();
    await lt.stop();
    expect(Date.now() - startedStopping).toBeLessThan(3_000);
    const answer = await pending;
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ result: 'stopped', summary: { stopped: true } });
    const countAfterStop = t.count();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(t.count()).toBe(countAfterStop);
  });

  it('counts runs, answers and active runs in /metrics', async () => {
    const lt = await loadtester();
    const t = await target({ failEvery: 2 });
    await post(
      lt,
      '/',
      webhook({
        type: 'autocannon',
        url: `${t.url}/`,
        rps: '10',
        duration: '1s',
        blocking: 'true',
      }),
    );
    const text = await (await fetch(`${lt.url}/metrics`)).text();
    expect(text).toContain('fledge_loadtester_runs_started_total{mode="blocking"} 1');
    expect(text).toContain(
      'fledge_loadtester_runs_finished_total{mode="blocking",result="completed"} 1',
    );
    expect(text).toMatch(/fledge_loadtester_responses_total\{code_class="5xx"\} [1-9]/);
    expect(text).toMatch(/fledge_loadtester_responses_total\{code_class="2xx"\} [1-9]/);
    expect(text).toContain('fledge_loadtester_active_runs 0');
  });
});

describe('fledge loadtester: refusals', () => {
  it.each([
    ['{"name": "api"', 'body', 'is not JSON'],
    [JSON.stringify({ namespace: 'production', metadata: {} }), 'name', 'required'],
    [
      JSON.stringify(webhook({ type: 'bash', cmd: 'rm -rf /' })),
      'metadata.cmd',
      'no shell commands',
    ],
    [
      JSON.stringify(webhook({ type: 'autocannon', url: 'http://api/', rps: 'lots' })),
      'metadata.rps',
      'whole number',
    ],
    [
      JSON.stringify(webhook({ type: 'autocannon', url: 'http://api/', duration: '3h' })),
      'metadata.duration',
      '1h',
    ],
  ])('answers 400 naming the field for %s', async (payload, field, hint) => {
    const lt = await loadtester();
    const { status, body } = await post(lt, '/', payload);
    expect(status).toBe(400);
    expect(body.field).toBe(field);
    expect(body.error).toContain(hint);
  });

  it.each(['http://example.com.evil.org/', 'http://localhost:4191/shutdown', 'http://10.0.0.1/'])(
    'answers 403 for the non-cluster target %s',
    async (url) => {
      const lt = await loadtester({ allowHosts: [] });
      const { status, body } = await post(lt, '/', webhook({ type: 'autocannon', url }));
      expect(status).toBe(403);
      expect(body.field).toBe('metadata.url');
      expect(body.error).toContain('--allow-host');
    },
  );

  it('answers 404 for an unknown path and 405 for a GET on the webhook', async () => {
    const lt = await loadtester();
    expect((await fetch(`${lt.url}/nope`)).status).toBe(404);
    expect((await fetch(`${lt.url}/`)).status).toBe(405);
    expect((await fetch(`${lt.url}/healthz`)).status).toBe(200);
  });
});

describe('fledge loadtester: gates', () => {
  it('approves always and halts always', async () => {
    const lt = await loadtester();
    expect((await post(lt, '/gate/approve', webhook({}))).status).toBe(200);
    expect((await post(lt, '/gate/halt', webhook({}))).status).toBe(403);
  });

  it.each(['gate', 'rollback'])(
    'keeps /%s/check closed until opened for that rollout',
    async (kind) => {
      const lt = await loadtester();
      const api = webhook({}, 'api');
      const web = webhook({}, 'web');
      expect((await post(lt, `/${kind}/check`, api)).status).toBe(403);
      expect((await post(lt, `/${kind}/open`, api)).status).toBe(202);
      expect((await post(lt, `/${kind}/check`, api)).status).toBe(200);
      expect((await post(lt, `/${kind}/check`, web)).status).toBe(403);
      expect((await post(lt, `/${kind}/close`, api)).status).toBe(202);
      expect((await post(lt, `/${kind}/check`, api)).status).toBe(403);
    },
  );

  it('keeps the promotion gate and the rollback gate apart', async () => {
    const lt = await loadtester();
    await post(lt, '/rollback/open', webhook({}));
    expect((await post(lt, '/gate/check', webhook({}))).status).toBe(403);
    expect((await post(lt, '/rollback/check', webhook({}))).status).toBe(200);
  });

  it('answers 400 to a gate call without the rollout name', async () => {
    const lt = await loadtester();
    const { status, body } = await post(lt, '/gate/open', { namespace: 'production' });
    expect(status).toBe(400);
    expect(body.field).toBe('name');
  });
});
