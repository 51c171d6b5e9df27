import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../../src/webhooks/call.js';
import { backoffMs, isRetryableStatus } from '../../../src/webhooks/retry.js';

describe('isRetryableStatus', () => {
  it.each([
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [501, false],
    [400, false],
    [403, false],
    [404, false],
  ])('%d -> %s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
  });
});

describe('backoffMs', () => {
  it('doubles from 100 ms and stops growing at 2 s', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((attempt) => backoffMs(attempt, 60_000))).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000,
    ]);
  });

  it('never waits past the remaining budget', () => {
    expect(backoffMs(3, 250)).toBe(250);
    expect(backoffMs(0, -5)).toBe(0);
  });
});

describe('proxyFor', () => {
  it('sends cluster names through the proxy', () => {
    expect(proxyFor(new URL('http://api.prod:8080/'), 'http://127.0.0.1:4140')?.href).toBe(
      'http://127.0.0.1:4140/',
    );
  });

  it('sends loopback urls directly', () => {
    for (const url of ['http://127.0.0.1:9/', 'http://localhost/', 'http://[::1]:80/']) {
      expect(proxyFor(new URL(url), 'http://127.0.0.1:4140')).toBeUndefined();
    }
  });

  it('uses no proxy when the setting is empty', () => {
    expect(proxyFor(new URL('http://api.prod/'), '')).toBeUndefined();
  });

  it('reads a bare host:port as an http proxy', () => {
    expect(proxyFor(new URL('http://api.prod/'), '127.0.0.1:4140')?.href).toBe(
      'http://127.0.0.1:4140/',
    );
  });

  it.each(['socks5://127.0.0.1:1080', 'http://', ':::'])(
    'explains the malformed proxy setting %j',
    (setting) => {
      expect(() => proxyFor(new URL('http://api.prod/'), setting)).toThrow(
        `the mesh proxy "${setting}" is not an http://host:port url; fix FLEDGE_MESH_PROXY or unset it`,
      );
    },
  );
});
