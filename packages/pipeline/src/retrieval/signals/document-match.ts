import type { CandidateSignal } from './retrieval-signal.js';

/** How well the chunk's document (title, file name, headings, first page) matches the question. */
export const documentMatchSignal: CandidateSignal<'documentMatch'> = {
  name: 'documentMatch',
  stage: 'candidate',
  description: "how well the chunk's document (title, name, headings, first page) matches the question, relative to the best document",
  score: (context, candidate) => (context.stats.documentScores.get(candidate.docId) ?? 0) / context.stats.bestDocumentScore,
};
