import type { CandidateSignal } from './retrieval-signal.js';

/**
 * For questions about codes (encodings, opcodes, bit patterns), the density of binary and hex
 * tokens in a chunk that holds the question's rarest term: the answer is usually a table row.
 */
export const codeDensitySignal: CandidateSignal<'codeDensity'> = {
  name: 'codeDensity',
  stage: 'candidate',
  description: "for a question about codes, the share of binary and hex tokens in a chunk holding the question's rarest term",
  score: (context, candidate) => {
    const { query, index } = context;
    if (query.codeQuestion <= 0 || query.rarestTermId < 0 || !index.holds(candidate.chunk, query.rarestTermId)) return 0;
    return query.codeQuestion * Math.min(1, (index.codeDensity[candidate.chunk] as number) * 4);
  },
};
