import type { CandidateSignal } from './retrieval-signal.js';

/** Grouped BM25 of the chunk, relative to the best candidate's. */
export const bm25Signal: CandidateSignal<'bm25'> = {
  name: 'bm25',
  stage: 'candidate',
  description: "the chunk's BM25 against the question, relative to the best chunk's",
  score: (context, candidate) => candidate.bm25 / context.stats.bestBm25,
};
