import type { DocumentStoreV2 } from '@ragbridge/core-interfaces';
import { BENCH_IDENTITY, DIMENSIONS, exactTopK, recallAtK, row, type VectorMatrix } from './bench-vectors.js';

/** Neighbours asked for. */
export const DENSE_K = 10;

/** The exact top 10 of every query, by brute force over all stored vectors. */
export interface ExactNeighbours {
  topK: Array<Array<{ id: string; score: number }>>;
  seconds: number;
}

/** Brute-force top {@link DENSE_K} of each query over `vectors` (row i is chunk `chunkIds[i]`). */
export function exactNeighbours(vectors: VectorMatrix, chunkIds: readonly string[], queries: VectorMatrix): ExactNeighbours {
  const started = performance.now();
  const topK = [];
  for (let q = 0; q < queries.count; q++) topK.push(exactTopK(vectors, row(queries, q), DENSE_K).map((hit) => ({ id: chunkIds[hit.index] as string, score: hit.score })));
  return { topK, seconds: (performance.now() - started) / 1000 };
}

/** Dense latencies and recall at one `efSearch`. */
export interface DenseResult {
  latencies: number[];
  /** Mean recall@10 against the exact neighbours. */
  recall: number;
  /** Recall@10 of each query, in order. */
  recalls: number[];
}

/**
 * `vectorCandidates` (limit 10) for every query: one warm-up pass, then `passes` measured passes;
 * recall@10 of the last pass against the exact neighbours.
 */
export async function measureDense(
  store: DocumentStoreV2,
  queries: VectorMatrix,
  exact: ExactNeighbours,
  vectorOf: (chunkId: string) => Float32Array | undefined,
  passes: number,
): Promise<DenseResult> {
  const ask = (q: number) => store.vectorSearch.vectorCandidates({ identity: BENCH_IDENTITY, vector: row(queries, q), limit: DENSE_K });
  for (let q = 0; q < queries.count; q++) await ask(q);
  const latencies: number[] = [];
  const recalls: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (let q = 0; q < queries.count; q++) {
      const started = performance.now();
      const found = await ask(q);
      latencies.push(performance.now() - started);
      if (pass === passes - 1) {
        const query = row(queries, q);
        const scoreOf = (id: string): number => {
          const v = vectorOf(id);
          if (!v) return Number.NEGATIVE_INFINITY;
          let dot = 0;
          for (let d = 0; d < DIMENSIONS; d++) dot += (v[d] as number) * (query[d] as number);
          return dot;
        };
        recalls.push(recallAtK(found.map((f) => f.id), exact.topK[q] ?? [], scoreOf, DENSE_K));
      }
    }
  }
  return { latencies, recall: mean(recalls), recalls };
}

/** The mean of some numbers (NaN for none). */
export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
