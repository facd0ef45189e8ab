import type Database from 'better-sqlite3';
import type { ChunkTerms, KeywordCandidates, KeywordCandidatesQuery, KeywordSearchV1 } from '@ragbridge/core-interfaces';
import { selectCandidates } from '../retrieval/candidate-selection.js';
import { BM25_DEFAULTS, inverseChunkFrequency, KeywordIndex } from '../retrieval/keyword-index.js';

/** The SQLite store's keyword search, with what the store adds beyond the contract. */
export interface SqliteKeywordSearch {
  readonly provider: KeywordSearchV1;
  close(): void;
}

/**
 * Keyword candidates from an in-memory index over every chunk's terms, rebuilt when the store's
 * revision moved (a write by this connection or any other).
 */
export function createSqliteKeywordSearch(db: Database.Database, revision: () => string): SqliteKeywordSearch {
  const statements = {
    chunkTerms: db.prepare<[], { id: string; doc_id: string; page: number; terms: string; heading_terms: string }>(
      'SELECT id, doc_id, page, terms, heading_terms FROM chunks ORDER BY pk',
    ),
    documentTerms: db.prepare<[], { id: string; terms: string }>('SELECT id, terms FROM documents ORDER BY rowid'),
  };
  let cached: { index: KeywordIndex; rows: ChunkTerms[]; revision: string } | undefined;
  let loading: Promise<{ index: KeywordIndex; rows: ChunkTerms[] }> | undefined;

  const current = async (): Promise<{ index: KeywordIndex; rows: ChunkTerms[] }> => {
    const rev = revision();
    if (cached?.revision === rev) return cached;
    if (loading) return loading;
    const { rows, documents } = db.transaction(() => ({
      rows: statements.chunkTerms.all().map((r) => ({ id: r.id, docId: r.doc_id, page: r.page, terms: r.terms, headingTerms: r.heading_terms })),
      documents: statements.documentTerms.all(),
    }))();
    loading = KeywordIndex.build(rows, documents).then(
      (index) => {
        cached = { index, rows, revision: rev };
        loading = undefined;
        return cached;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };

  const keywordCandidates = async (query: KeywordCandidatesQuery): Promise<KeywordCandidates> => {
    query.abortSignal?.throwIfAborted();
    const { index, rows } = await current();
    query.abortSignal?.throwIfAborted();
    const terms = [...new Set(query.groups.flat())];
    const df = (term: string): number => index.chunkFrequency(term);
    const idf = (term: string): number => inverseChunkFrequency(index.size, df(term)) * (query.termWeights?.[term] ?? 1);
    const chosen = selectCandidates(index, query.groups, idf, df, { limit: query.limit, rareTermLimit: query.rareTermLimit, bm25: BM25_DEFAULTS });
    return { stats: index.collectionStats(terms), chunks: chosen.map((c) => rows[c] as ChunkTerms), documents: index.documentsHolding(terms) };
  };

  return {
    provider: { specificationVersion: 'v1', keywordCandidates },
    close() {
      cached = undefined;
    },
  };
}
