import type { Chunk, SourceDocument } from './documents.js';
import type { ChunkTerms, DocumentRecord, DocumentTerms, ScoredId, VectorBatch, VectorQuery } from './document-store.js';
import type { EmbedderIdentity } from './embedder.js';

/** A question's analysed terms, as the keyword search provider receives them. */
export interface KeywordCandidatesQuery {
  /**
   * Analysed terms grouped by the question word they came from: the members of a group are
   * alternatives (a compound such as `page-table` and its parts). A chunk matches when it holds any
   * term of any group. Terms are matched exactly as given (no stemming or re-tokenising), so
   * technical tokens such as `funct3`, `mstatus.mie`, `0x7b0` or `v1.7` keep their form.
   */
  groups: ReadonlyArray<readonly string[]>;
  /** How many of the best-ranked matching chunks (by the provider's own keyword ranking) to return. */
  limit: number;
  /**
   * Chunks holding a query term that at most this many chunks hold are returned whatever their
   * rank (on top of `limit`), so a rare identifier always reaches the retrieval signals.
   */
  rareTermLimit: number;
  /**
   * A multiplier of each term's weight in the provider's ranking (1 when absent), e.g. to count
   * years and version numbers less; a provider that cannot weight terms may ignore it.
   */
  termWeights?: Readonly<Record<string, number>>;
  abortSignal?: AbortSignal;
}

/** Collection statistics the retrieval signals need to score candidates as over the whole store. */
export interface KeywordCollectionStats {
  /** Chunks in the store. */
  chunks: number;
  /** Average number of body terms per chunk (BM25 length normalisation). */
  averageChunkTerms: number;
  /** How many chunks hold each query term (0 for a term no chunk holds); every query term is a key. */
  chunkFrequency: Record<string, number>;
  /** Documents in the store. */
  documents: number;
  /** Average number of description terms per document. */
  averageDocumentTerms: number;
  /** How many document descriptions hold each query term; every query term is a key. */
  documentFrequency: Record<string, number>;
}

/** The keyword candidates of one question, with what is needed to score them. */
export interface KeywordCandidates {
  stats: KeywordCollectionStats;
  /** Candidate chunks with their index terms, in no particular order (the retriever scores them). */
  chunks: ChunkTerms[];
  /**
   * The description terms of the documents whose descriptions the retriever scores: every
   * document of a candidate chunk whose description holds a query term, and the document whose
   * description scores best against the query terms (BM25 with k1 1.2 and b 0.75 over the
   * description terms, as SQLite FTS5's `bm25()`; it normalises document scores), whatever its
   * chunks. Returning every document whose description holds a query term meets this too; bounded
   * this way, a question over thousands of documents reads a few of their descriptions.
   */
  documents: DocumentTerms[];
}

/**
 * Keyword candidates over a store's chunks. The provider chooses candidates (any ranking that
 * puts chunks holding more and rarer query terms first will do); the retriever scores them with
 * its own signals, using the collection statistics, so every store ranks by the same rules.
 * Every write to the store is visible to the next call (indexes update as the store changes).
 */
export interface KeywordSearchV1 {
  readonly specificationVersion: 'v1';
  keywordCandidates(query: KeywordCandidatesQuery): Promise<KeywordCandidates>;
}

/** A nearest-neighbour query, cancellable. */
export interface VectorCandidatesQuery extends VectorQuery {
  abortSignal?: AbortSignal;
}

/**
 * Nearest-neighbour candidates among the vectors of one embedder identity. Scores are cosine
 * similarities, best first; an approximate index may miss a few true neighbours.
 */
export interface VectorSearchV1 {
  readonly specificationVersion: 'v1';
  /** Nearest chunks among the vectors of exactly `query.identity`; none when the store holds no vector for it. */
  vectorCandidates(query: VectorCandidatesQuery): Promise<ScoredId[]>;
}

/** Counts of what a store holds. */
export interface DocumentStoreStats {
  documents: number;
  chunks: number;
  /** Vectors per embedder identity key (`embedderIdentityKey`). */
  vectors: Record<string, number>;
}

/**
 * Where documents, their chunks and the chunks' vectors (per embedder identity) live, with the
 * search providers that find candidates in them. The embedded default is SQLite
 * (`@ragbridge/pipeline`); `@ragbridge/store-postgres` keeps the same on PostgreSQL with pgvector.
 *
 * Writes are atomic: a failure or a crash leaves the previous state, never half a document. Two
 * writers putting the same document (same id or source) at once end with one copy.
 */
export interface DocumentStoreV2 {
  readonly specificationVersion: 'v2';
  /** Documents by name. */
  listDocuments(): Promise<SourceDocument[]>;
  getDocument(id: string): Promise<SourceDocument | undefined>;
  getDocumentBySource(source: string): Promise<SourceDocument | undefined>;
  /**
   * Stores a document with its chunks, replacing the document with the same id or the same
   * source (its chunks and their vectors go with it), atomically.
   */
  putDocument(record: DocumentRecord): Promise<void>;
  /** Deletes a document with its chunks and their vectors. Returns false when it did not exist. */
  deleteDocument(id: string): Promise<boolean>;
  /** Chunks by id in the order asked; ids that do not exist are left out. */
  getChunks(ids: readonly string[]): Promise<Chunk[]>;
  /** A document's chunks in reading order. */
  getDocumentChunks(docId: string): Promise<Chunk[]>;
  /**
   * Stores vectors of one embedder identity for existing chunks (replacing theirs). All vectors of
   * one identity have the same length: a batch of another length is refused and nothing is stored.
   */
  putVectors(batch: VectorBatch): Promise<void>;
  /** Ids of chunks that have no vector for this identity yet, in storage order. */
  chunksWithoutVectors(identity: EmbedderIdentity): Promise<string[]>;
  /**
   * A token that changes whenever the content changes, by this or any other writer (for caches
   * of what the store holds).
   */
  revision(): Promise<string>;
  stats(): Promise<DocumentStoreStats>;
  /** Keyword candidates over this store's chunks. */
  readonly keywordSearch: KeywordSearchV1;
  /** Vector candidates over this store's vectors. */
  readonly vectorSearch: VectorSearchV1;
  close(): Promise<void>;
}

/** The store contract ragbridge reads: the current version, {@link DocumentStoreV2}. */
export type DocumentStore = DocumentStoreV2;
