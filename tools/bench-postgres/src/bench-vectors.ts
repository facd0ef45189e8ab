import type { EmbedderIdentity } from '@ragbridge/core-interfaces';
import { hashEmbedding } from '@ragbridge/core-interfaces/testing';

/** Dimensions of the benchmark's vectors (bge-small-en-v1.5 and all-MiniLM-L6-v2 have 384). */
export const DIMENSIONS = 384;

/**
 * Norm of the random vector added to each copy's vector before normalising again: copies of a
 * chunk keep a cosine similarity of about 0.96 to each other, close but distinct, so the index has
 * to order them and recall is measurable.
 */
export const COPY_NOISE = 0.2;

/** The identity the vectors are stored under: a hashing "model" no embedder serves. */
export const BENCH_IDENTITY: EmbedderIdentity = {
  provider: 'bench',
  modelId: 'hash-embedding-384',
  revision: '1',
  pooling: 'none',
  normalized: true,
};

/** What the vectors are, in one line for the output. */
export const VECTORS_DESCRIPTION = `hashEmbedding (@ragbridge/core-interfaces/testing: signed feature hashing of the words, ${DIMENSIONS} dims, L2-normalised) of each chunk's text, plus a seeded Gaussian perturbation of norm ${COPY_NOISE} per chunk copy, normalised again; questions embedded the same way without perturbation`;

/** Vectors of `count` rows, one after the other in one Float32Array. */
export interface VectorMatrix {
  count: number;
  data: Float32Array;
}

/** Row `i` of a matrix, as a view. */
export function row(matrix: VectorMatrix, i: number): Float32Array {
  return matrix.data.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS);
}

/** A small deterministic generator (mulberry32) seeded by a string, so every run stores the same vectors. */
function seededRandom(seed: string): () => number {
  let state = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `vector` plus Gaussian noise of norm about `noise`, L2-normalised, written into `out`. */
export function perturb(vector: ArrayLike<number>, seed: string, noise: number, out: Float32Array): void {
  const random = seededRandom(seed);
  const sigma = noise / Math.sqrt(vector.length);
  let norm = 0;
  for (let i = 0; i < vector.length; i++) {
    // Box–Muller: two uniforms make one standard normal (the second is not needed).
    const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const value = (vector[i] as number) + sigma * gaussian;
    out[i] = value;
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) out[i] = (out[i] as number) * scale;
}

/**
 * The vectors of every chunk copy: the hash embedding of the chunk's text (computed once per
 * distinct text), perturbed with a seed of the copy's chunk id.
 */
export function chunkVectors(chunks: ReadonlyArray<{ id: string; text: string }>): VectorMatrix {
  const data = new Float32Array(chunks.length * DIMENSIONS);
  const byText = new Map<string, number[]>();
  chunks.forEach((chunk, i) => {
    let base = byText.get(chunk.text);
    if (!base) byText.set(chunk.text, (base = hashEmbedding(chunk.text, DIMENSIONS)));
    perturb(base, chunk.id, COPY_NOISE, data.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS));
  });
  return { count: chunks.length, data };
}

/** Question vectors (no perturbation). */
export function queryVectors(questions: readonly string[]): VectorMatrix {
  const data = new Float32Array(questions.length * DIMENSIONS);
  questions.forEach((q, i) => data.set(hashEmbedding(q, DIMENSIONS), i * DIMENSIONS));
  return { count: questions.length, data };
}

/** The exact nearest neighbours of one query by inner product (= cosine: all rows are normalised), best first. */
export function exactTopK(matrix: VectorMatrix, query: Float32Array, k: number): Array<{ index: number; score: number }> {
  const top: Array<{ index: number; score: number }> = [];
  const { data } = matrix;
  for (let r = 0; r < matrix.count; r++) {
    const offset = r * DIMENSIONS;
    // Four accumulators: about twice as fast as one in V8 (100k × 384 per query).
    let a = 0;
    let b = 0;
    let c = 0;
    let e = 0;
    for (let d = 0; d < DIMENSIONS; d += 4) {
      a += (data[offset + d] as number) * (query[d] as number);
      b += (data[offset + d + 1] as number) * (query[d + 1] as number);
      c += (data[offset + d + 2] as number) * (query[d + 2] as number);
      e += (data[offset + d + 3] as number) * (query[d + 3] as number);
    }
    const dot = a + b + c + e;
    if (top.length < k || dot > (top[top.length - 1] as { score: number }).score) {
      let at = top.length;
      while (at > 0 && (top[at - 1] as { score: number }).score < dot) at--;
      top.splice(at, 0, { index: r, score: dot });
      if (top.length > k) top.pop();
    }
  }
  return top;
}

/**
 * Recall@k of one approximate result against the exact one: the share of the exact top k found.
 * A returned chunk that ties the exact k-th score (within float32 rounding) counts as found, so
 * equal-scored neighbours are not held against the index.
 */
export function recallAtK(found: readonly string[], exact: ReadonlyArray<{ id: string; score: number }>, scoreOf: (id: string) => number, k: number): number {
  const truth = exact.slice(0, k);
  if (truth.length === 0) return 1;
  const kth = (truth[truth.length - 1] as { score: number }).score;
  const exactIds = new Set(truth.map((t) => t.id));
  let hits = 0;
  for (const id of found.slice(0, k)) if (exactIds.has(id) || scoreOf(id) >= kth - 1e-6) hits++;
  return Math.min(hits, truth.length) / truth.length;
}
