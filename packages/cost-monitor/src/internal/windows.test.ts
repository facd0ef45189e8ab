import { describe, expect, it } from 'vitest';
import { windowBounds } from '../clock.js';
import { percentileOf, RollingSamples, WindowedSpend } from './windows.js';

describe('windowBounds', () => {
  it('gives UTC days and months, including month ends and leap days', () => {
    expect(windowBounds('day', Date.parse('2026-01-31T23:59:59.999Z'))).toEqual({ start: Date.parse('2026-01-31T00:00:00Z'), end: Date.parse('2026-02-01T00:00:00Z') });
    expect(windowBounds('month', Date.parse('2028-02-29T12:00:00Z'))).toEqual({ start: Date.parse('2028-02-01T00:00:00Z'), end: Date.parse('2028-03-01T00:00:00Z') });
    expect(windowBounds('month', Date.parse('2026-12-31T23:00:00Z')).end).toBe(Date.parse('2027-01-01T00:00:00Z'));
  });
});

describe('WindowedSpend', () => {
  it('forgets the spend when the window changes, and only then', () => {
    const spend = new WindowedSpend('day', undefined);
    expect(spend.roll(Date.parse('2026-05-01T10:00:00Z'))).toBe(true);
    spend.spent = 3;
    expect(spend.roll(Date.parse('2026-05-01T23:59:59Z'))).toBe(false);
    expect(spend.spent).toBe(3);
    expect(spend.roll(Date.parse('2026-05-02T00:00:00Z'))).toBe(true);
    expect(spend.spent).toBe(0);
    expect(spend.contains(Date.parse('2026-05-01T12:00:00Z'))).toBe(false);
  });
});

describe('RollingSamples', () => {
  it('keeps percentiles and sums over a sliding window', () => {
    const samples = new RollingSamples(1000);
    for (let i = 1; i <= 100; i++) samples.add(i * 10, 101 - i);
    samples.prune(1000);
    expect(samples.size).toBe(100);
    expect(samples.percentile(50)).toBe(50);
    expect(samples.percentile(95)).toBe(95);
    expect(samples.sum()).toBe(5050);
    samples.prune(1500); // drops samples older than t=500: the first 49 (values 100..52)
    expect(samples.size).toBe(51);
    expect(samples.percentile(100)).toBe(51);
    expect(samples.sum()).toBe((51 * 52) / 2);
    samples.prune(10_000);
    expect(samples.size).toBe(0);
    expect(samples.percentile(95)).toBeNaN();
    expect(samples.sum()).toBe(0);
  });

  it('stays correct after compacting many pruned samples', () => {
    const samples = new RollingSamples(100);
    for (let t = 0; t < 5000; t++) {
      samples.add(t, t % 7);
      samples.prune(t);
    }
    expect(samples.size).toBe(101);
    const expected = Array.from({ length: 101 }, (_, i) => (4899 + i) % 7).reduce((a, b) => a + b, 0);
    expect(samples.sum()).toBe(expected);
  });

  it('percentileOf uses the nearest rank', () => {
    expect(percentileOf([], 95)).toBeNull();
    expect(percentileOf([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentileOf([5, 1, 4, 2, 3], 95)).toBe(5);
  });
});
