import type { Chunk, RetrievalHit } from '@ragbridge/core-interfaces';
import type { KeywordIndex } from './keyword-index.js';
import type { QueryContext } from './query-context.js';
import { chunkIndexTerms } from './text-analysis.js';

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

/** What evidence reads of the corpus's terms. */
export interface EvidenceTerms {
  /** How many chunks of the corpus hold the term. */
  chunkFrequency(term: string): number;
  /** Whether the chunk holds the term (in its text or section path). */
  chunkHolds(chunk: Chunk, term: string): boolean;
  /** Whether a document's description (title, name, headings, first page) holds the term. */
  documentHolds(docId: string, term: string): boolean;
}

/**
 * The corpus's terms as a question's candidate index knows them: frequencies from the collection
 * statistics, candidates' terms from the index, and the terms of a hit that is no keyword
 * candidate (found by dense search) analysed from its text as ingestion does.
 */
export function evidenceTermsOf(index: KeywordIndex): EvidenceTerms {
  const analysed = new Map<string, Set<string>>();
  return {
    chunkFrequency: (term) => index.chunkFrequency(term),
    chunkHolds(chunk, term) {
      const position = index.positionOf(chunk.id);
      if (position >= 0) return index.holds(position, index.termId(term));
      let terms = analysed.get(chunk.id);
      if (!terms) {
        const { terms: body, headingTerms } = chunkIndexTerms(chunk);
        terms = new Set(`${body} ${headingTerms}`.split(' '));
        analysed.set(chunk.id, terms);
      }
      return terms.has(term);
    },
    documentHolds: (docId, term) => index.documentHolds(docId, term),
  };
}

/** Measures the evidence of the top hits: keyword coverage, specific terms, dense and reranker scores. */
export function measureEvidence(
  query: QueryContext,
  corpus: EvidenceTerms,
  hits: readonly RetrievalHit[],
  keywordCoverage: (chunkId: string) => number,
  denseScore: (chunkId: string) => number | undefined,
): RetrievalEvidence {
  const top = hits.slice(0, TOP);
  let coverage = 0;
  for (const hit of top) coverage = Math.max(coverage, keywordCoverage(hit.chunk.id));
  const documents = [...new Set(top.map((hit) => hit.chunk.docId))];
  const specific = query.specific;
  const missing: string[] = [];
  const weak: string[] = [];
  let known = 0;
  let matched = 0;
  for (const term of specific) {
    const forms = term.forms.filter((form) => corpus.chunkFrequency(form) > 0);
    if (forms.length === 0) {
      missing.push(term.token);
      continue;
    }
    known++;
    const inTop = top.some((hit) => forms.some((form) => corpus.chunkHolds(hit.chunk, form))) || documents.some((doc) => forms.some((form) => corpus.documentHolds(doc, form)));
    if (inTop) matched++;
    else if (Math.max(...forms.map((form) => corpus.chunkFrequency(form))) <= RARE) weak.push(term.token);
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
