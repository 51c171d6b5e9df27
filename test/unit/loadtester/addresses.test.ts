import { describe, expect, it } from 'vitest';
import { addressList, checkAddress } from '../../../src/loadtester/addresses.js';
import { parseAllowList } from '../../../src/loadtester/allow-list.js';

const policy = (allow: string[] = []) => ({
  allow: parseAllowList(allow),
  own: addressList(['10.244.1.7', 'fd00:10:244::7']),
});

describe('checkAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.244.1.7', 'own pod'],
    ['::ffff:10.244.1.7', 'own pod'],
    ['fd00:10:244::7', 'own pod'],
  ])('refuses %s (%s) and names the --allow-host fix', (address, what) => {
    const verdict = checkAddress(address, policy());
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toContain(what);
    expect(!verdict.allowed && verdict.reason).toContain('--allow-host');
  });

  it.each(['10.96.0.10', '10.244.2.9', '192.168.1.1', 'fd00:10:96::a', '93.184.216.34'])(
    'lets %s through: a Service or pod address of the cluster',
    (address) => {
      expect(checkAddress(address, policy())).toEqual({ allowed: true });
    },
  );

  it('lets an address through that --allow-host names, alone or in a range', () => {
    expect(checkAddress('127.0.0.1', policy(['127.0.0.1']))).toEqual({ allowed: true });
    expect(checkAddress('127.0.0.2', policy(['127.0.0.1'])).allowed).toBe(false);
    expect(checkAddress('169.254.10.1', policy(['169.254.0.0/16']))).toEqual({ allowed: true });
    expect(checkAddress('[::1]', policy(['::1']))).toEqual({ allowed: true });
  });

  it('refuses what is not an address', () => {
    expect(checkAddress('localhost', policy()).allowed).toBe(false);
  });
});
