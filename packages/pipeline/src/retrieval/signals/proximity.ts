import type { CandidateSignal } from './retrieval-signal.js';

/** The share of consecutive question words found within a few words of each other in the chunk. */
export const proximitySignal: CandidateSignal<'proximity'> = {
  name: 'proximity',
  stage: 'candidate',
  description: 'the share of consecutive question words that stand within three words of each other in the chunk',
  score: (context, candidate) => {
    const pairs = context.query.groups.length - 1;
    return pairs > 0 ? candidate.nearPairs / pairs : 0;
  },
};
