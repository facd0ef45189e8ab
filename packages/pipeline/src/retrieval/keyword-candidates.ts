import type { KeywordCandidates, KeywordSearchV1 } from '@ragbridge/core-interfaces';
import type { QueryTerms } from './query-context.js';

/** How many candidates to ask the keyword search provider for. */
export interface CandidateRequest {
  /** Best chunks by the provider's ranking. */
  candidates: number;
  /** Chunks holding a question term found in at most this many chunks are always candidates. */
  rareTermLimit: number;
}

/**
 * A question's keyword candidates from the store's keyword search provider. The forms of the
 * question's specific terms that are not query terms (evidence asks whether the corpus holds
 * them) are looked up in a second request that selects no chunk, so they do not change the
 * candidates; their frequencies and documents join the first answer's.
 */
export async function fetchKeywordCandidates(keywords: KeywordSearchV1, query: QueryTerms, request: CandidateRequest, abortSignal?: AbortSignal): Promise<KeywordCandidates> {
  const asked = new Set(query.terms);
  const extra = [...new Set(query.specific.flatMap((term) => term.forms))].filter((form) => !asked.has(form));
  const common = { ...(Object.keys(query.termWeights).length > 0 && { termWeights: query.termWeights }), ...(abortSignal && { abortSignal }) };
  const main = keywords.keywordCandidates({ groups: query.groups, limit: request.candidates, rareTermLimit: request.rareTermLimit, ...common });
  if (extra.length === 0) return main;
  const [found, more] = await Promise.all([main, keywords.keywordCandidates({ groups: extra.map((form) => [form]), limit: 0, rareTermLimit: 0, ...(abortSignal && { abortSignal }) })]);
  const known = new Set(found.documents.map((d) => d.id));
  return {
    chunks: found.chunks,
    stats: {
      ...found.stats,
      chunkFrequency: { ...more.stats.chunkFrequency, ...found.stats.chunkFrequency },
      documentFrequency: { ...more.stats.documentFrequency, ...found.stats.documentFrequency },
    },
    documents: [...found.documents, ...more.documents.filter((d) => !known.has(d.id))],
  };
}
