/**
 * Set overlap |A ∩ B| / |A ∪ B| of two collections (duplicates count once). Two empty collections
 * are identical: 1.
 */
export function jaccard<T>(a: Iterable<T>, b: Iterable<T>): number {
  const left = new Set(a);
  const right = new Set(b);
  if (left.size === 0 && right.size === 0) return 1;
  let shared = 0;
  for (const item of left) if (right.has(item)) shared++;
  return shared / (left.size + right.size - shared);
}

/** True when both collections hold the same distinct items. */
export function sameSet<T>(a: Iterable<T>, b: Iterable<T>): boolean {
  const left = new Set(a);
  const right = new Set(b);
  if (left.size !== right.size) return false;
  for (const item of left) if (!right.has(item)) return false;
  return true;
}

/**
 * Kendall's tau-b between paired observations `x[i]`, `y[i]`: (concordant − discordant) pairs over
 * √((n0 − tx)(n0 − ty)), where n0 = n(n−1)/2 and tx, ty count the pairs tied in x and in y. Ties
 * lower neither count, so tied scores do not read as disagreement. `null` with fewer than two
 * pairs, or when every pair is tied in x or in y (no order to compare).
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new RangeError(`kendallTauB needs pairs: got ${x.length} and ${y.length} values`);
  const n = x.length;
  if (n < 2) return null;
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign((x[j] as number) - (x[i] as number));
      const dy = Math.sign((y[j] as number) - (y[i] as number));
      if (dx === 0) tiedX++;
      if (dy === 0) tiedY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  return denominator === 0 ? null : (concordant - discordant) / denominator;
}

/**
 * Kendall's tau-b between two rankings (best first) over the items found in both; each item's
 * position is its rank. `null` when fewer than two items are shared.
 */
export function rankingTau(a: readonly string[], b: readonly string[]): { tau: number | null; shared: number } {
  const positionInB = new Map<string, number>();
  b.forEach((id, i) => {
    if (!positionInB.has(id)) positionInB.set(id, i);
  });
  const seen = new Set<string>();
  const x: number[] = [];
  const y: number[] = [];
  a.forEach((id, i) => {
    const j = positionInB.get(id);
    if (j === undefined || seen.has(id)) return;
    seen.add(id);
    x.push(i);
    y.push(j);
  });
  return { tau: kendallTauB(x, y), shared: x.length };
}

/**
 * The nearest-rank percentile: sort ascending and take the value at rank ⌈p/100 × n⌉ (1-based),
 * so the result is always one of the values. `null` for no values.
 */
export function nearestRank(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
}

/** Arithmetic mean; `null` for no values. */
export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
