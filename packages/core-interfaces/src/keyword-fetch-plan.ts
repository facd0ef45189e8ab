/**
 * How many chunk matches a store ranks per question, by default: the sum of the chunk frequencies
 * of the terms whose chunks it fetches (see {@link planKeywordFetch}).
 *
 * Measured on a Zipf corpus and on 100k chunks of real manuals (store-postgres
 * bench/keyword-bench.ts): with 2,000, the best 100 chunks held 87.5% of the exact BM25 top 100 at
 * 100k chunks (98.5% at 5k) and the chunk each question was written from every time; 1,000 / 5,000
 * gave 75% / 94% for 0.5× / 2× the time. On the 3.9k-chunk dev corpus the 120-question eval was
 * identical to ranking every match.
 */
export const KEYWORD_MATCH_BUDGET = 2000;

/** Which terms' chunks a store fetches and ranks for one question. */
export interface KeywordFetchPlan {
  /** Terms whose every chunk is fetched, rarest first. */
  fetch: string[];
  /**
   * Only when no term fits the budget (every term is common): the two rarest terms (one when there
   * is one). Fetch the chunks holding all of them, at most the budget of them; when those are
   * fewer than the question's limit, add chunks holding the rarest, again at most the budget.
   */
  fallback?: string[];
  /** Every term some chunk holds is fetched: the candidates are every matching chunk, as exhaustive ranking. */
  complete: boolean;
}

/**
 * The terms whose chunks to fetch: rarest first, while the chunks they bring add up to at most
 * `budget`; terms held by at most `rareTermLimit` chunks are fetched whatever the budget (their
 * chunks are always candidates). A store ranks the fetched chunks by grouped BM25 over ALL the
 * question's terms, common ones included, so common terms still order the candidates; they only do
 * not bring chunks of their own. Rare terms carry most of BM25's weight (idf), so the best chunks of
 * a typical question hold one of them. Terms no chunk holds are left out.
 */
export function planKeywordFetch(
  terms: readonly string[],
  chunkFrequency: (term: string) => number,
  rareTermLimit: number,
  budget: number = KEYWORD_MATCH_BUDGET,
): KeywordFetchPlan {
  const held = [...new Set(terms)]
    .map((term) => ({ term, df: chunkFrequency(term) }))
    .filter((t) => t.df > 0)
    .sort((a, b) => a.df - b.df || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  const fetch: string[] = [];
  let total = 0;
  for (const { term, df } of held) {
    if (df > rareTermLimit && total + df > budget) break;
    fetch.push(term);
    total += df;
  }
  const complete = fetch.length === held.length;
  if (fetch.length > 0 || held.length === 0) return { fetch, complete };
  return { fetch, fallback: held.slice(0, 2).map((t) => t.term), complete };
}
