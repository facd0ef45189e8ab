import { describe, expect, it } from 'vitest';
import { createGate } from './guards.js';

describe('createGate', () => {
  it('admits `limit` at once, queues the next in order, and refuses when the line is full or the wait too long', async () => {
    const gate = createGate(2, 1, 50);
    const a = await gate.enter();
    const b = await gate.enter();
    expect(gate.active).toBe(2);
    const order: string[] = [];
    const c = gate.enter().then((release) => {
      order.push('c');
      return release;
    });
    expect(gate.waiting).toBe(1);
    // The line holds one: a fourth is refused at once.
    expect(await gate.enter()).toBeUndefined();
    a?.();
    const releaseC = await c;
    expect(releaseC).toBeTypeOf('function');
    expect(order).toEqual(['c']);
    expect(gate.active).toBe(2);
    // Nobody releases: the next waiter gives up after maxWaitMs.
    expect(await gate.enter()).toBeUndefined();
    expect(gate.waiting).toBe(0);
    b?.();
    releaseC?.();
    releaseC?.(); // releasing twice frees one slot only
    expect(gate.active).toBe(0);
  });
});
