/** A retrieved page, as the eval output lists it. */
export interface RetrievedPage {
  doc: string;
  page: number;
  score: number;
}

/** Where the answer to a question is. */
export interface Evidence {
  doc: string;
  pages: number[];
}

/** One question of an eval set (only id and question are required). */
export interface EvalItem {
  id: string;
  question: string;
  category?: string;
  evidence?: Evidence[];
}

/** Metrics of one group of questions. */
export interface RetrievalMetrics {
  questions: number;
  hitAt1: number;
  hitAt5: number;
  hitAt10: number;
  mrrAt10: number;
}

/** Rank (0-based) of the first retrieved page that is evidence, or -1. */
export function firstRelevantRank(retrieved: readonly RetrievedPage[], evidence: readonly Evidence[]): number {
  return retrieved.slice(0, 10).findIndex((r) => evidence.some((e) => e.doc === r.doc && e.pages.includes(r.page)));
}

/** hit@1/5/10 and MRR@10 over questions that have evidence. */
export function retrievalMetrics(ranks: readonly number[]): RetrievalMetrics {
  const n = ranks.length;
  const share = (k: number): number => (n === 0 ? 0 : ranks.filter((r) => r >= 0 && r < k).length / n);
  const mrr = n === 0 ? 0 : ranks.reduce((sum, r) => sum + (r >= 0 && r < 10 ? 1 / (r + 1) : 0), 0) / n;
  return { questions: n, hitAt1: share(1), hitAt5: share(5), hitAt10: share(10), mrrAt10: mrr };
}
