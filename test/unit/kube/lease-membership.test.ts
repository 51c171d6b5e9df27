import { describe, expect, it } from 'vitest';
import { memberLeaseName } from '../../../src/kube/lease-membership.js';

describe('member Lease names', () => {
  it('names each identity apart, after the group', () => {
    const a = memberLeaseName('fledge-controller', 'pod-a-1f2e3d');
    const b = memberLeaseName('fledge-controller', 'pod-b-1f2e3d');
    expect(a).toMatch(/^fledge-controller-member-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('stays a valid object name (at most 253 characters) for the longest Lease name', () => {
    const name = memberLeaseName('x'.repeat(253), 'pod');
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/-member-[0-9a-f]{12}$/);
  });
});
