import { describe, expect, it } from 'vitest';
import { authorizationFor, loadtesterAuth } from '../../../src/webhooks/auth.js';

const token = 'f1e2d3c4b5a6978812345678abcdef00';
const env = { FLEDGE_LOADTESTER_TOKEN: `${token}\n` };

describe('loadtesterAuth', () => {
  it("covers every spelling of the loadtester's cluster name, and only those", () => {
    const auth = loadtesterAuth(env, 'http://fledge-loadtester.fledge-system/');
    expect(auth?.token).toBe(token);
    expect([...(auth?.origins ?? [])]).toEqual([
      'http://fledge-loadtester.fledge-system',
      'http://fledge-loadtester.fledge-system.svc',
      'http://fledge-loadtester.fledge-system.svc.cluster.local',
    ]);
    const header = (url: string) => authorizationFor(new URL(url), auth);
    expect(header('http://fledge-loadtester.fledge-system/gate/check')).toBe(`Bearer ${token}`);
    expect(header('http://fledge-loadtester.fledge-system.svc.cluster.local:80/')).toBe(
      `Bearer ${token}`,
    );
    expect(header('http://fledge-loadtester.fledge-system:8080/')).toBeUndefined();
    expect(header('https://fledge-loadtester.fledge-system/')).toBeUndefined();
    expect(header('http://attacker.example/fledge-loadtester.fledge-system')).toBeUndefined();
    expect(header('http://fledge-loadtester.fledge-system.evil.com/')).toBeUndefined();
  });

  it('keeps the port and follows the cluster domain', () => {
    const auth = loadtesterAuth(env, 'http://lt.ops.svc.k8s.example:8080/', 'k8s.example');
    expect([...(auth?.origins ?? [])]).toEqual([
      'http://lt.ops:8080',
      'http://lt.ops.svc:8080',
      'http://lt.ops.svc.k8s.example:8080',
    ]);
  });

  it('takes any other URL as its one origin', () => {
    const auth = loadtesterAuth(env, 'http://127.0.0.1:9000/');
    expect([...(auth?.origins ?? [])]).toEqual(['http://127.0.0.1:9000']);
  });

  it('is off without a token, and refuses an unusable one', () => {
    expect(loadtesterAuth({}, 'http://lt.ops/')).toBeUndefined();
    expect(loadtesterAuth({ FLEDGE_LOADTESTER_TOKEN: '' }, 'http://lt.ops/')).toBeUndefined();
    expect(() => loadtesterAuth({ FLEDGE_LOADTESTER_TOKEN: 'short' }, 'http://lt.ops/')).toThrow(
      /FLEDGE_LOADTESTER_TOKEN is 5 characters long/,
    );
    expect(authorizationFor(new URL('http://lt.ops/'), undefined)).toBeUndefined();
  });
});
