import { describe, expect, it } from 'vitest';
import { allowsAddress, allowsName, parseAllowList } from '../../../src/loadtester/allow-list.js';

describe('parseAllowList', () => {
  it('matches exact names case-insensitively and *.suffix on subdomains only', () => {
    const list = parseAllowList(['Staging.Example.com.', '*.corp.example']);
    expect(allowsName(list, 'staging.example.com')).toBe(true);
    expect(allowsName(list, 'staging.example.com.')).toBe(true);
    expect(allowsName(list, 'www.staging.example.com')).toBe(false);
    expect(allowsName(list, 'a.b.corp.example')).toBe(true);
    expect(allowsName(list, 'corp.example')).toBe(false);
    expect(allowsName(list, 'evilcorp.example')).toBe(false);
    expect(allowsName(list, 'corp.example.evil.org')).toBe(false);
  });

  it('matches addresses and ranges in any spelling the URL parser gives', () => {
    const list = parseAllowList(['10.0.0.7', '[::1]', '192.168.0.0/16', 'fd00::/8']);
    expect(allowsAddress(list, '10.0.0.7')).toBe(true);
    expect(allowsAddress(list, '10.0.0.8')).toBe(false);
    expect(allowsAddress(list, '[::1]')).toBe(true);
    expect(allowsAddress(list, '192.168.44.1')).toBe(true);
    expect(allowsAddress(list, 'fd12::1')).toBe(true);
    expect(allowsAddress(list, 'example.com')).toBe(false);
    // An address entry allows no name, and a name entry no address.
    expect(allowsName(list, '10.0.0.7')).toBe(false);
  });

  it.each(['http://example.com/', 'a b', '*.*.com', 'x*y.com', '10.0.0.0/33', 'nope/8', ''])(
    'refuses the entry %j with the forms it takes',
    (entry) => {
      expect(() => parseAllowList([entry])).toThrow(/e\.g\./);
    },
  );
});
