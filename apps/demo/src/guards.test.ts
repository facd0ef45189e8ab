import { describe, expect, it } from 'vitest';
import { BlockList } from 'node:net';
import { createGate, pickClient } from './guards.js';

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

describe('pickClient', () => {
  const proxies = new BlockList();
  proxies.addSubnet('10.0.0.0', 8, 'ipv4');
  proxies.addSubnet('fd00::', 8, 'ipv6');
  const list = ['10.0.0.0/8', 'fd00::/8'];

  it('trusts no X-Forwarded-For by default: the connection is the client', () => {
    expect(pickClient('198.51.100.7', ['203.0.113.1'], false)).toBe('198.51.100.7');
    expect(pickClient('::ffff:198.51.100.7', [], false)).toBe('198.51.100.7');
  });

  it('with n hops, takes the entry n from the right (the leftmost when there are fewer)', () => {
    expect(pickClient('10.0.0.2', ['6.6.6.6', '198.51.100.7'], 1)).toBe('198.51.100.7');
    expect(pickClient('10.0.0.2', ['6.6.6.6', '198.51.100.7', '10.0.0.9'], 2)).toBe('198.51.100.7');
    expect(pickClient('10.0.0.2', ['198.51.100.7'], 3)).toBe('198.51.100.7');
    expect(pickClient('10.0.0.2', [], 1)).toBe('10.0.0.2');
  });

  it('with a list, walks left past trusted proxies; an untrusted connection is the client itself', () => {
    expect(pickClient('10.0.0.2', ['6.6.6.6', '198.51.100.7', '10.9.9.9'], list, proxies)).toBe('198.51.100.7');
    expect(pickClient('fd00::2', ['2001:db8::7', 'fd00::1'], list, proxies)).toBe('2001:db8::7');
    expect(pickClient('10.0.0.2', ['10.0.0.3', '10.0.0.4'], list, proxies)).toBe('10.0.0.3');
    expect(pickClient('192.0.2.1', ['198.51.100.7'], list, proxies)).toBe('192.0.2.1');
  });

  it('reads addresses with ports and brackets as one client; keeps other entries short', () => {
    expect(pickClient('10.0.0.2', ['198.51.100.7:51234'], 1)).toBe('198.51.100.7');
    expect(pickClient('10.0.0.2', ['[2001:DB8::7]:443'], 1)).toBe('2001:db8::7');
    expect(pickClient('10.0.0.2', ['x'.repeat(500)], 1)).toHaveLength(64);
  });

  it('in-process calls (no socket) believe the caller: the rightmost entry', () => {
    expect(pickClient(undefined, ['6.6.6.6', '198.51.100.7'], false)).toBe('198.51.100.7');
    expect(pickClient(undefined, [], false)).toBe('unknown');
  });
});
