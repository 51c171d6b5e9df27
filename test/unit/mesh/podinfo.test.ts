import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type SimPod, servedPorts } from '../../../src/playground/kubelet/pod-status.js';
import {
  podinfoAnswer,
  podinfoToken,
  portArgument,
} from '../../../src/playground/kubelet/podinfo.js';

const identity = {
  pod: 'podinfo-7d9f-abcde',
  namespace: 'test',
  container: 'podinfod',
  image: 'ghcr.io/stefanprodan/podinfo:6.0.1',
  version: '6.0.1',
  env: [{ name: 'PODINFO_UI_COLOR', value: '#ff0000' }],
};
const now = new Date('2025-01-02T03:04:05.678Z');
const ask = (method: string, path: string, body = '') =>
  podinfoAnswer({ method, path, body }, identity, now);

describe('podinfoAnswer: podinfo’s endpoints', () => {
  it.each([200, 404, 429, 500, 503])('GET /status/%i answers that status with {status}', (code) => {
    expect(ask('GET', `/status/${code}`)).toEqual({
      status: code,
      body: { status: code },
      delayMs: 0,
      probe: false,
    });
  });

  it('refuses a status it cannot send', () => {
    expect(ask('GET', '/status/42').status).toBe(400);
  });

  it('GET /delay/2 waits two seconds, then answers {delay: 2}', () => {
    expect(ask('GET', '/delay/2')).toEqual({
      status: 200,
      body: { delay: 2 },
      delayMs: 2000,
      probe: false,
    });
  });

  it('GET /version answers podinfo’s {commit, version}', () => {
    expect(ask('GET', '/version').body).toEqual({ commit: 'playground', version: '6.0.1' });
  });

  it.each(['/healthz', '/readyz'])('GET %s is a probe answering {status: OK}', (path) => {
    expect(ask('GET', path)).toEqual({
      status: 200,
      body: { status: 'OK' },
      delayMs: 0,
      probe: true,
    });
  });

  it('GET / answers podinfo’s runtime info, its UI settings read from the environment', () => {
    expect(ask('GET', '/').body).toMatchObject({
      hostname: 'podinfo-7d9f-abcde',
      version: '6.0.1',
      revision: 'playground',
      color: '#ff0000',
      message: 'greetings from podinfo v6.0.1',
      goos: 'linux',
      pod: 'podinfo-7d9f-abcde',
      status: 200,
    });
  });

  it("echoes the request's x- headers at / (the playground's addition), the first 16, cut at 256", () => {
    const headers: Record<string, string> = { host: 'podinfo', 'x-team': 'payments' };
    for (let i = 0; i < 20; i++) headers[`x-extra-${i}`] = 'v'.repeat(300);
    const { body } = podinfoAnswer({ method: 'GET', path: '/', body: '', headers }, identity, now);
    const echoed = (body as { headers: Record<string, string> }).headers;
    expect(echoed['x-team']).toBe('payments');
    expect(echoed).not.toHaveProperty('host');
    expect(Object.keys(echoed)).toHaveLength(16);
    expect(echoed['x-extra-0']).toHaveLength(256);
  });

  it('POST /token issues a one-minute HS256 token named after the body', () => {
    const { status, body } = ask('POST', '/token', 'test');
    expect(status).toBe(200);
    const { token, expires_at } = body as { token: string; expires_at: string };
    expect(expires_at).toBe('2025-01-02T03:05:05Z');
    const [header = '', claims = '', signature = ''] = token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
    });
    expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toEqual({
      name: 'test',
      iss: 'podinfo',
      exp: Date.parse(expires_at) / 1000,
    });
    const expected = createHmac('sha256', 'fledge-playground-podinfo')
      .update(`${header}.${claims}`)
      .digest('base64url');
    expect(signature).toBe(expected);
    expect(ask('GET', '/token').status).toBe(405);
  });

  it('names an empty token body anonymous, as podinfo does', () => {
    const { token } = podinfoToken('anonymous', now);
    expect((ask('POST', '/token').body as { token: string }).token).toBe(token);
  });
});

describe('the ports a podinfo pod serves', () => {
  it.each([
    [['./podinfo', '--port=9898', '--port-metrics=9797'], 9898],
    [['--level=info', '--port', '8080'], 8080],
    [['--port-metrics=9797'], undefined],
    [['--port=http'], undefined],
  ] as const)('portArgument(%j) is %s', (words, port) => {
    expect(portArgument(words)).toBe(port);
  });

  it('serves the declared ports and the --port one, each once', () => {
    const pod: SimPod = {
      spec: {
        containers: [
          {
            name: 'podinfod',
            command: ['./podinfo', '--port=9898', '--port-metrics=9797', '--grpc-port=9999'],
            ports: [{ containerPort: 9898 }, { containerPort: 9797 }, { containerPort: 9999 }],
          },
          { name: 'sidecar', args: ['--port', '7070'] },
        ],
      },
    };
    expect(servedPorts(pod).map(({ container, port }) => `${container.name}:${port}`)).toEqual([
      'podinfod:9898',
      'podinfod:9797',
      'podinfod:9999',
      'sidecar:7070',
    ]);
  });
});
