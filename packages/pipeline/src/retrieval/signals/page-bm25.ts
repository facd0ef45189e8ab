import type { CandidateSignal } from './retrieval-signal.js';

/** BM25 of the page's candidate chunks taken together (a listing spread over several chunks). */
export const pageBm25Signal: CandidateSignal<'pageBm25'> = {
  name: 'pageBm25',
  stage: 'candidate',
  description: "BM25 of the candidate chunks of the chunk's page taken together, relative to the best page's",
  score: (context, candidate) => (context.stats.pageBm25.get(candidate.pageKey) ?? 0) / context.stats.bestPageBm25,
};
