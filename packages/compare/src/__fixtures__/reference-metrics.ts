// Independent computations for the tests: written from the definitions, on purpose without the
// package's own helpers (and in a different way), so a bug in one is not repeated in the other.

/** |A ∩ B| / |A ∪ B|; both empty: 1. */
export function refJaccard(a: readonly string[], b: readonly string[]): number {
  const union = new Set([...a, ...b]);
  if (union.size === 0) return 1;
  const both = [...new Set(a)].filter((x) => b.includes(x));
  return both.length / union.size;
}

/** Number of pairs tied within `values`: Σ t(t−1)/2 over groups of equal values. */
function tiedPairs(values: readonly number[]): number {
  const groups = new Map<number, number>();
  for (const v of values) groups.set(v, (groups.get(v) ?? 0) + 1);
  let pairs = 0;
  for (const t of groups.values()) pairs += (t * (t - 1)) / 2;
  return pairs;
}

/** Kendall tau-b: (nc − nd) / √((n0 − n1)(n0 − n2)), ties counted by groups. */
export function refTauB(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 2) return null;
  let nc = 0;
  let nd = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j <= i) continue;
      const s = ((x[i] as number) - (x[j] as number)) * ((y[i] as number) - (y[j] as number));
      if (s > 0) nc++;
      else if (s < 0) nd++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const d = Math.sqrt((n0 - tiedPairs(x)) * (n0 - tiedPairs(y)));
  return d === 0 ? null : (nc - nd) / d;
}

/** Tau-b of two rankings over the ids present in both (positions as ranks). */
export function refRankTau(a: readonly string[], b: readonly string[]): number | null {
  const shared = a.filter((id) => b.includes(id));
  return refTauB(
    shared.map((id) => a.indexOf(id)),
    shared.map((id) => b.indexOf(id)),
  );
}

/** Nearest rank: the value at 1-based rank ⌈p·n/100⌉ of the ascending values. */
export function refPercentile(values: readonly number[], p: number): number {
  const sorted = values.slice().sort((m, n) => m - n);
  return sorted[Math.ceil((p * sorted.length) / 100) - 1] as number;
}

export function refMean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** 0-based rank of the first evidence page among the distinct (doc, page) of the hits; -1 when none. */
export function refFirstRank(hits: ReadonlyArray<{ doc: string; page: number }>, evidence: ReadonlyArray<{ doc: string; pages: number[] }>): number {
  const pages: string[] = [];
  for (const h of hits) {
    const key = `${h.doc}|${h.page}`;
    if (!pages.includes(key)) pages.push(key);
  }
  return pages.findIndex((key) => evidence.some((e) => e.pages.some((p) => `${e.doc}|${p}` === key)));
}

/** hit@1/5/10 and MRR@10 from first-evidence ranks. */
export function refHits(ranks: readonly number[]): { hitAt1: number; hitAt5: number; hitAt10: number; mrrAt10: number } {
  const share = (limit: number): number => ranks.filter((r) => r !== -1 && r + 1 <= limit).length / ranks.length;
  return { hitAt1: share(1), hitAt5: share(5), hitAt10: share(10), mrrAt10: refMean(ranks.map((r) => (r === -1 || r >= 10 ? 0 : 1 / (r + 1)))) };
}

/** Two decimals, and two decimals with a sign, as the verdicts print them. */
export const two = (v: number): string => v.toFixed(2);
export const signed = (v: number): string => (v < 0 && v.toFixed(2) !== '-0.00' ? v.toFixed(2) : `+${Math.abs(v).toFixed(2)}`);
