import { describe, expect, it } from 'vitest';
import { checkTargetHost } from '../../../src/loadtester/host-policy.js';

describe('checkTargetHost', () => {
  it.each([
    'api',
    'api-service-canary.production',
    'api.production.svc',
    'api.production.svc.cluster.local',
    'API.Production.SVC.cluster.local.',
  ])('allows the cluster-local name %s', (host) => {
    expect(checkTargetHost(host, [])).toEqual({ allowed: true });
  });

  it.each([
    'example.co.uk',
    'www.example.com',
    'localhost',
    '127.0.0.1',
    '[::1]',
    '169.254.169.254',
    'api.production.svc.cluster.local.evil.com',
    'svc.evil.com',
    'under_score',
  ])('refuses %s and names the --allow-host fix', (host) => {
    const verdict = checkTargetHost(host, []);
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toContain('--allow-host');
  });

  it('allows an exact host given with --allow-host, case-insensitively', () => {
    expect(checkTargetHost('127.0.0.1', ['127.0.0.1']).allowed).toBe(true);
    expect(checkTargetHost('Staging.Example.com', ['staging.example.com']).allowed).toBe(true);
    expect(checkTargetHost('::1', ['[::1]']).allowed).toBe(true);
  });

  it('allows subdomains of a *.suffix pattern but not the suffix itself or look-alikes', () => {
    const allow = ['*.example.com'];
    expect(checkTargetHost('a.b.example.com', allow).allowed).toBe(true);
    expect(checkTargetHost('example.com.evil.org', allow).allowed).toBe(false);
    expect(checkTargetHost('badexample.com.org', allow).allowed).toBe(false);
    expect(checkTargetHost('www.notexample.com', allow).allowed).toBe(false);
  });
});
