import { describe, expect, it } from 'vitest';
import { cutToJsonBytes, jsonBytes, planRequests, runInOrder } from './batching.js';
import { vectorsFromFeatureExtraction } from './vectors.js';

describe('planRequests', () => {
  const item = (tokens: number, bytes = 10) => ({ tokens, bytes });

  it('splits consecutive items by count, tokens and bytes', () => {
    expect(planRequests([item(1), item(1), item(1), item(1), item(1)], { maxItems: 2, maxTokens: 100, maxBytes: 1000 }, 2)).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(planRequests([item(30), item(30), item(50), item(10)], { maxItems: 10, maxTokens: 60, maxBytes: 1000 }, 2)).toEqual([
      [0, 2],
      [2, 4],
    ]);
    // base 10 + 10 + (1 + 10) = 31 fits 31; a third item would need 11 more.
    expect(planRequests([item(1), item(1), item(1)], { maxItems: 10, maxTokens: 100, maxBytes: 31 }, 10)).toEqual([
      [0, 2],
      [2, 3],
    ]);
  });

  it('gives an item over a limit a request of its own and never returns an empty group', () => {
    expect(planRequests([item(5), item(500), item(5)], { maxItems: 10, maxTokens: 100, maxBytes: 1000 }, 2)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(planRequests([], { maxItems: 1, maxTokens: 1, maxBytes: 1 }, 0)).toEqual([]);
  });
});

describe('jsonBytes and cutToJsonBytes', () => {
  it('counts UTF-8 bytes of the JSON encoding', () => {
    expect(jsonBytes('a"b')).toBe(6);
    expect(jsonBytes('é')).toBe(4);
    expect(jsonBytes('🚀')).toBe(6);
    expect(jsonBytes(['日本'])).toBe(Buffer.byteLength(JSON.stringify(['日本'])));
  });

  it('cuts a text to fit, keeping the start or the end, without splitting surrogate pairs', () => {
    const text = '🚀abc'.repeat(100);
    const start = cutToJsonBytes(text, 50, 'start');
    expect(jsonBytes(start)).toBeLessThanOrEqual(50);
    expect(text.startsWith(start)).toBe(true);
    expect(start).not.toMatch(/[\uD800-\uDBFF]$/);
    const end = cutToJsonBytes(text, 50, 'end');
    expect(jsonBytes(end)).toBeLessThanOrEqual(50);
    expect(text.endsWith(end)).toBe(true);
    expect(end).not.toMatch(/^[\uDC00-\uDFFF]/);
    expect(cutToJsonBytes('short', 100, 'start')).toBe('short');
  });
});

describe('runInOrder', () => {
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('returns results in group order with at most `concurrency` tasks running', async () => {
    let running = 0;
    let peak = 0;
    const results = await runInOrder([30, 5, 20, 1, 10], 2, undefined, async (ms) => {
      running++;
      peak = Math.max(peak, running);
      await tick(ms);
      running--;
      return ms * 2;
    });
    expect(results).toEqual([60, 10, 40, 2, 20]);
    expect(peak).toBe(2);
  });

  it('rejects with the first failure, aborts the others and starts no new task', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const failure = new Error('boom');
    const run = runInOrder([0, 1, 2, 3, 4], 2, undefined, async (i, signal) => {
      started.push(i);
      if (i === 1) throw failure;
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          aborted.push(i);
          resolve();
        });
      });
      throw new Error(`aborted ${i}`);
    });
    await expect(run).rejects.toBe(failure);
    expect(started).toEqual([0, 1]);
    expect(aborted).toEqual([0]);
  });

  it('passes the caller’s abort to every task', async () => {
    const controller = new AbortController();
    const run = runInOrder([1, 2], 2, controller.signal, (_i, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    controller.abort(new DOMException('stop', 'AbortError'));
    await expect(run).rejects.toMatchObject({ name: 'AbortError', message: 'stop' });
  });
});

describe('vectorsFromFeatureExtraction', () => {
  it('reads 1-D, 2-D and token-level 3-D/4-D answers and rejects the rest', () => {
    expect(vectorsFromFeatureExtraction([1, 2], 1, 'mean')).toEqual([[1, 2]]);
    expect(vectorsFromFeatureExtraction([[1, 2], [3, 4]], 2, 'mean')).toEqual([[1, 2], [3, 4]]);
    expect(vectorsFromFeatureExtraction([[[1, 2], [3, 4]]], 1, 'mean')).toEqual([[2, 3]]);
    expect(vectorsFromFeatureExtraction([[1, 2], [3, 6]], 1, 'cls')).toEqual([[1, 2]]);
    expect(vectorsFromFeatureExtraction([[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]], 2, 'last-token')).toEqual([[3, 4], [7, 8]]);
    expect(vectorsFromFeatureExtraction([[1, 2]], 2, 'mean')).toBeUndefined();
    expect(vectorsFromFeatureExtraction([[1, 2], [3]], 2, 'mean')).toEqual([[1, 2], [3]]);
    expect(vectorsFromFeatureExtraction([['a']], 1, 'mean')).toBeUndefined();
    expect(vectorsFromFeatureExtraction({ data: [] }, 1, 'mean')).toBeUndefined();
  });
});
