import type { RetrievalHit } from '@ragbridge/core-interfaces';
import type { KeywordIndex } from './keyword-index.js';
import type { QueryContext } from './query-context.js';
import { specificTerms } from './specific-terms.js';

/** How well the best hits support an answer to the question; the refusal policy decides from it. */
export interface RetrievalEvidence {
  /** Share of the question's IDF weight found in the best-covering of the top hits, in [0, 1]. */
  coverage: number;
  /** Analyzed question terms. */
  terms: string[];
  /** Terms found in no chunk at all. */
  unknownTerms: string[];
  /** Words of the question that name something (identifiers, products, versions, proper names), as written. */
  specificTerms: string[];
  /** Specific terms that occur nowhere in the corpus. */
  missingSpecificTerms: string[];
  /**
   * Share of the specific terms that occur in the corpus and in at least one of the top hits or
   * their documents' descriptions (title, headings, first page); 1 when there are none.
   */
  specificCoverage: number;
  /**
   * Specific terms that occur in the corpus, but rarely (in at most a few chunks) and in none of
   * the top hits or their documents: the question names something the documents barely mention.
   */
  weakSpecificTerms: string[];
  /** Highest cosine similarity of a top hit to the question, when dense retrieval ran. */
  denseSimilarity?: number;
  /** Highest reranker score of a top hit, when a reranker ran. */
  rerankScore?: number;
}

/** Hits whose support is measured. */
const TOP = 3;
/** A specific term in at most this many chunks is rare: a passing mention, not a topic of the corpus. */
const RARE = 3;

/** Measures the evidence of the top hits: keyword coverage, specific terms, dense and reranker scores. */
export function measureEvidence(
  query: QueryContext,
  index: KeywordIndex,
  hits: readonly RetrievalHit[],
  keywordCoverage: (chunkId: string) => number,
  denseScore: (chunkId: string) => number | undefined,
): RetrievalEvidence {
  const top = hits.slice(0, TOP);
  let coverage = 0;
  for (const hit of top) coverage = Math.max(coverage, keywordCoverage(hit.chunk.id));
  const positions = top.map((hit) => index.positionOf(hit.chunk.id)).filter((p) => p >= 0);
  const documents = [...new Set(top.map((hit) => hit.chunk.docId))];
  const specific = specificTerms(query.question);
  const missing: string[] = [];
  const weak: string[] = [];
  let known = 0;
  let matched = 0;
  for (const term of specific) {
    const forms = term.forms.filter((form) => index.termId(form) >= 0);
    if (forms.length === 0) {
      missing.push(term.token);
      continue;
    }
    known++;
    const ids = forms.map((form) => index.termId(form));
    const inTop = positions.some((p) => ids.some((id) => index.holds(p, id))) || documents.some((doc) => forms.some((form) => index.documentHolds(doc, form)));
    if (inTop) matched++;
    else if (Math.max(...forms.map((form) => index.documentFrequency(form))) <= RARE) weak.push(term.token);
  }
  const dense = top.map((hit) => denseScore(hit.chunk.id)).filter((s): s is number => s !== undefined);
  const rerank = top.map((hit) => hit.rerankScore).filter((s): s is number => s !== undefined);
  return {
    coverage,
    terms: [...query.terms],
    unknownTerms: query.terms.filter((t) => query.df(t) === 0),
    specificTerms: specific.map((t) => t.token),
    missingSpecificTerms: missing,
    specificCoverage: known === 0 ? 1 : matched / known,
    weakSpecificTerms: weak,
    ...(dense.length > 0 && { denseSimilarity: Math.max(...dense) }),
    ...(rerank.length > 0 && { rerankScore: Math.max(...rerank) }),
  };
}
