import type { CandidateSignal } from './retrieval-signal.js';

/** The share of the question the candidate chunks of the chunk's page cover together. */
export const pageCoverageSignal: CandidateSignal<'pageCoverage'> = {
  name: 'pageCoverage',
  stage: 'candidate',
  description: "the share of the question's weight the candidate chunks of the chunk's page hold together",
  score: (context, candidate) => context.stats.pageCoverage.get(candidate.pageKey) ?? 0,
};
