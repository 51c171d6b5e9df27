import { describe, expect, it } from 'vitest';
import { GateStore } from '../../../src/loadtester/gates.js';

describe('GateStore', () => {
  it('starts closed, opens and closes per rollout and kind', () => {
    const gates = new GateStore();
    expect(gates.isOpen('gate', 'production/api')).toBe(false);
    gates.set('gate', 'production/api', true);
    expect(gates.isOpen('gate', 'production/api')).toBe(true);
    expect(gates.isOpen('rollback', 'production/api')).toBe(false);
    expect(gates.isOpen('gate', 'staging/api')).toBe(false);
    gates.set('gate', 'production/api', false);
    expect(gates.isOpen('gate', 'production/api')).toBe(false);
  });
});
