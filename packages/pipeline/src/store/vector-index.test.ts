import { describe, expect, it } from 'vitest';
import { createVectorIndex, ExactVectorIndex, HnswVectorIndex, loadUsearch, UsearchVectorIndex } from './vector-index.js';

function randomVectors(count: number, dims: number, seed = 1): Float32Array[] {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296 - 0.5;
  };
  // Clustered data, like embeddings of related passages.
  const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: dims }, next));
  return Array.from({ length: count }, (_, i) => {
    const centre = centres[i % centres.length] as Float32Array;
    return Float32Array.from(centre, (c) => c + next() * 0.6);
  });
}

describe('vector indexes', () => {
  it('exact search returns the true nearest neighbours by cosine', () => {
    const index = new ExactVectorIndex(3);
    index.add(Float32Array.from([1, 0, 0]));
    index.add(Float32Array.from([0, 1, 0]));
    index.add(Float32Array.from([0.7, 0.7, 0]));
    const hits = index.search(Float32Array.from([1, 0.1, 0]), 2);
    expect(hits.map((h) => h.id)).toEqual([0, 2]);
    expect(hits[0]?.score).toBeCloseTo(1 / Math.hypot(1, 0.1), 5);
  });

  it('HNSW finds at least 95% of the exact top 10', () => {
    const vectors = randomVectors(3000, 32);
    const exact = new ExactVectorIndex(32);
    const hnsw = new HnswVectorIndex(32, { efSearch: 128 });
    for (const v of vectors) {
      exact.add(v);
      hnsw.add(v);
    }
    const queries = randomVectors(50, 32, 99);
    let found = 0;
    for (const q of queries) {
      const truth = new Set(exact.search(q, 10).map((h) => h.id));
      found += hnsw.search(q, 10).filter((h) => truth.has(h.id)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it.skipIf(!loadUsearch())('the native usearch index agrees with exact search', () => {
    const vectors = randomVectors(3000, 32);
    const exact = new ExactVectorIndex(32);
    const native = new UsearchVectorIndex(32, { efSearch: 64 });
    for (const v of vectors) {
      exact.add(v);
      native.add(v);
    }
    let found = 0;
    const queries = randomVectors(50, 32, 99);
    for (const q of queries) {
      const truth = new Set(exact.search(q, 10).map((h) => h.id));
      const hits = native.search(q, 10);
      // Scores are cosine similarities on the same scale as exact search.
      for (const hit of hits) expect(hit.score).toBeLessThanOrEqual((exact.search(q, 1)[0]?.score ?? 0) + 1e-4);
      found += hits.filter((h) => truth.has(h.id)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it.each(['typescript', 'auto'] as const)('switches from exact to HNSW (%s) at the threshold and keeps ids', (ann) => {
    const index = createVectorIndex({ dimensions: 8, annThreshold: 100, ann });
    const vectors = randomVectors(150, 8, 7);
    vectors.forEach((v, i) => expect(index.add(v)).toBe(i));
    expect(index.size).toBe(150);
    expect(index.search(vectors[120] as Float32Array, 1)[0]?.id).toBe(120);
  });

  it('rejects vectors of the wrong length', () => {
    expect(() => new ExactVectorIndex(3).add(Float32Array.from([1, 2]))).toThrow(/3 dimensions/);
  });
});
