import { describe, expect, it } from 'vitest';
import { Slots } from '../../../src/loadtester/slots.js';

describe('Slots', () => {
  it('hands out at most its capacity until slots are released', () => {
    const slots = new Slots(2);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(false);
    expect(slots.used).toBe(2);
    slots.release();
    expect(slots.tryTake()).toBe(true);
    slots.release();
    slots.release();
    slots.release();
    expect(slots.used).toBe(0);
  });
});
