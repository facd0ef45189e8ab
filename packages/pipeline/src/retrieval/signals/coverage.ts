import type { CandidateSignal } from './retrieval-signal.js';

/** The share of the question's IDF weight the chunk holds. */
export const coverageSignal: CandidateSignal<'coverage'> = {
  name: 'coverage',
  stage: 'candidate',
  description: "the share of the question's weight (rare terms weigh more) the chunk holds",
  score: (_context, candidate) => candidate.coverage,
};
