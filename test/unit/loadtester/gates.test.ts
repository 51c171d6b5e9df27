import { describe, expect, it } from 'vitest';
import { GateStore } from '../../../src/loadtester/gates.js';

describe('GateStore', () => {
  it('starts closed, opens and closes per rollout and kind', () => {
    const gates = new GateStore(10);
    expect(gates.isOpen('gate', 'production/api')).toBe(false);
    expect(gates.set('gate', 'production/api', true)).toBe(true);
    expect(gates.isOpen('gate', 'production/api')).toBe(true);
    expect(gates.isOpen('rollback', 'production/api')).toBe(false);
    expect(gates.isOpen('gate', 'staging/api')).toBe(false);
    gates.set('gate', 'production/api', false);
    expect(gates.isOpen('gate', 'production/api')).toBe(false);
  });

  it('refuses to open a gate past its capacity, keeping every open gate as it is', () => {
    const gates = new GateStore(2);
    gates.set('gate', 'production/a', true);
    gates.set('rollback', 'production/a', true);
    expect(gates.set('gate', 'production/b', true)).toBe(false);
    expect(gates.isOpen('gate', 'production/b')).toBe(false);
    expect(gates.isOpen('gate', 'production/a')).toBe(true);
    expect(gates.isOpen('rollback', 'production/a')).toBe(true);
    expect(gates.size).toBe(2);
    // Opening an open gate again and closing any gate still work at capacity.
    expect(gates.set('gate', 'production/a', true)).toBe(true);
    expect(gates.set('gate', 'production/b', false)).toBe(true);
    expect(gates.set('rollback', 'production/a', false)).toBe(true);
    expect(gates.set('gate', 'production/b', true)).toBe(true);
  });
});
