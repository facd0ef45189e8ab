import { describe, expect, it } from 'vitest';
import { chunkVectors, DIMENSIONS, exactTopK, queryVectors, recallAtK, row } from './bench-vectors.js';

const norm = (v: Float32Array): number => Math.hypot(...v);
const dot = (a: Float32Array, b: Float32Array): number => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);

describe('chunkVectors', () => {
  const chunks = [
    { id: 'a:0', text: 'shared_buffers sets the memory for the buffer cache' },
    { id: 'a:0~1', text: 'shared_buffers sets the memory for the buffer cache' },
    { id: 'b:0', text: 'os.path.join joins path components' },
  ];
  const vectors = chunkVectors(chunks);

  it('gives unit vectors of 384 dimensions', () => {
    expect(vectors.data.length).toBe(3 * DIMENSIONS);
    for (let i = 0; i < 3; i++) expect(norm(row(vectors, i))).toBeCloseTo(1, 5);
  });

  it('keeps copies of a chunk close but not identical, and the same on every run', () => {
    const copies = dot(row(vectors, 0), row(vectors, 1));
    expect(copies).toBeGreaterThan(0.9);
    expect(copies).toBeLessThan(0.999);
    expect(dot(row(vectors, 0), row(vectors, 2))).toBeLessThan(copies);
    expect(chunkVectors(chunks).data).toEqual(vectors.data);
  });

  it('finds a chunk from a question about it', () => {
    const [best] = exactTopK(vectors, row(queryVectors(['How do path components join in os.path?']), 0), 1);
    expect(best?.index).toBe(2);
  });
});

describe('exactTopK', () => {
  it('returns the k best rows by inner product, best first', () => {
    const data = new Float32Array(4 * DIMENSIONS);
    [0.1, 0.9, 0.5, 0.7].forEach((x, r) => (data[r * DIMENSIONS] = x));
    const query = new Float32Array(DIMENSIONS);
    query[0] = 1;
    expect(exactTopK({ count: 4, data }, query, 2).map((h) => h.index)).toEqual([1, 3]);
  });
});

describe('recallAtK', () => {
  const exact = [
    { id: 'a', score: 0.9 },
    { id: 'b', score: 0.8 },
  ];
  const scores: Record<string, number> = { a: 0.9, b: 0.8, c: 0.8, d: 0.1 };
  const scoreOf = (id: string): number => scores[id] ?? 0;

  it('is the share of the exact neighbours found', () => {
    expect(recallAtK(['a', 'b'], exact, scoreOf, 2)).toBe(1);
    expect(recallAtK(['a', 'd'], exact, scoreOf, 2)).toBe(0.5);
  });

  it('counts a neighbour that ties the k-th exact score as found', () => {
    expect(recallAtK(['a', 'c'], exact, scoreOf, 2)).toBe(1);
  });
});
