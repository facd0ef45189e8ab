import type { EmbeddingPooling } from '@ragbridge/core-interfaces';

type Nested = number | Nested[];

function depth(value: unknown): number {
  let d = 0;
  let v = value;
  while (Array.isArray(v)) {
    d++;
    v = v[0];
  }
  return typeof v === 'number' ? d : -1;
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Pools token vectors (`[tokens][dims]`) into one vector the way `pooling` says (mean when not known). */
function poolTokens(rows: number[][], pooling: EmbeddingPooling): number[] {
  if (pooling === 'cls') return rows[0] as number[];
  if (pooling === 'last-token') return rows[rows.length - 1] as number[];
  const width = rows[0]?.length ?? 0;
  const sum = new Array<number>(width).fill(0);
  for (const row of rows) for (let i = 0; i < width; i++) sum[i] = (sum[i] ?? 0) + (row[i] ?? 0);
  return sum.map((x) => x / rows.length);
}

/** One input's output as a vector: a vector as is, token vectors pooled, single-item wrappers removed. */
function toVector(value: Nested, pooling: EmbeddingPooling): number[] | undefined {
  let v: unknown = value;
  while (depth(v) > 2 && (v as unknown[]).length === 1) v = (v as unknown[])[0];
  const d = depth(v);
  if (d === 1) return isNumberArray(v) ? v : undefined;
  if (d === 2) {
    const rows = v as unknown[];
    if (rows.length === 0 || !rows.every(isNumberArray)) return undefined;
    const width = (rows[0] as number[]).length;
    if (!rows.every((r) => (r as number[]).length === width)) return undefined;
    return poolTokens(rows as number[][], pooling);
  }
  return undefined;
}

/**
 * Reads a feature-extraction answer for `count` inputs sent as a list: `[[f…]…]` (one vector per
 * input), `[[[f…]×T]…]` (token vectors per input, pooled here), and for a single input also a bare
 * `[f…]` or `[[f…]×T]`. Returns undefined when the shape does not fit.
 */
export function vectorsFromFeatureExtraction(output: unknown, count: number, pooling: EmbeddingPooling): number[][] | undefined {
  if (!Array.isArray(output)) return undefined;
  if (count === 1) {
    const d = depth(output);
    if (d === 1) return isNumberArray(output) ? [output] : undefined;
    if (d === 2 && output.length !== 1) {
      const single = toVector(output as Nested, pooling);
      return single ? [single] : undefined;
    }
  }
  if (output.length !== count) return undefined;
  const vectors: number[][] = [];
  for (const item of output as Nested[]) {
    const vector = toVector(item, pooling);
    if (!vector) return undefined;
    vectors.push(vector);
  }
  return vectors;
}

/** The vector scaled to unit length (unchanged when all zeros). */
export function normalizeVector(vector: number[]): number[] {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm === 0 || Math.abs(norm - 1) < 1e-9) return vector;
  return vector.map((x) => x / norm);
}

/** The logistic function: turns a relevance logit into a score in [0, 1]. */
export function sigmoid(logit: number): number {
  return 1 / (1 + Math.exp(-logit));
}
