import type { Chunk, SourceDocument } from './documents.js';
import type { EmbedderIdentity } from './embedder.js';

/** A chunk with the index terms the pipeline's analyzer produced for it. */
export interface IndexedChunk extends Chunk {
  /** Space-separated index terms of the chunk text. */
  terms: string;
  /** Space-separated index terms of the section path (weighted lower than the text). */
  headingTerms: string;
}

/** Everything stored for one document; replaced as a whole. */
export interface DocumentRecord {
  document: SourceDocument;
  chunks: IndexedChunk[];
  /** Index terms describing the whole document (title, name, headings, first page). */
  documentTerms: string;
}

/** The index terms of one chunk with where it sits. */
export interface ChunkTerms {
  id: string;
  docId: string;
  page: number;
  terms: string;
  headingTerms: string;
}

/** The index terms describing a whole document (title, file name, headings, first page). */
export interface DocumentTerms {
  id: string;
  terms: string;
}

/** @deprecated Part of {@link DocumentStoreV1}. A scan of the store's index terms (see {@link DocumentStoreV1.scanChunkTerms}). */
export interface TermsScan {
  revision: string;
  changed: boolean;
  rows: ChunkTerms[];
  /** Per-document description terms; empty when unchanged. */
  documents: DocumentTerms[];
}

/** @deprecated Part of {@link DocumentStoreV1}; see `KeywordCandidatesQuery`. A keyword (BM25) query over analyzed terms. */
export interface KeywordQuery {
  /** Analyzed query terms; a chunk matches when it contains any of them. */
  terms: string[];
  limit: number;
}

/** A scored reference to a chunk or document; higher scores are better. */
export interface ScoredId {
  id: string;
  score: number;
}

/** Vectors of one embedder identity for some chunks. */
export interface VectorBatch {
  identity: EmbedderIdentity;
  entries: Array<{ chunkId: string; vector: number[] | Float32Array }>;
}

/** A nearest-neighbour query among the vectors of one embedder identity. */
export interface VectorQuery {
  identity: EmbedderIdentity;
  vector: number[] | Float32Array;
  limit: number;
}

/**
 * @deprecated Use {@link DocumentStoreV2} (storage split from search providers). V1 stays for
 * stores written against it; nothing in ragbridge reads it any more.
 *
 * Where documents, chunks, the keyword index and vectors live. The embedded default is SQLite;
 * a server-backed store (e.g. PostgreSQL with pgvector) implements the same contract.
 * Writes are atomic: a failure or crash leaves the previous state.
 */
export interface DocumentStoreV1 {
  readonly specificationVersion: 'v1';
  listDocuments(): Promise<SourceDocument[]>;
  getDocument(id: string): Promise<SourceDocument | undefined>;
  getDocumentBySource(source: string): Promise<SourceDocument | undefined>;
  /** Replaces the document with the same id (or source), its chunks and their index entries, atomically. Vectors of removed chunks go with them. */
  putDocument(record: DocumentRecord): Promise<void>;
  /** Deletes a document with its chunks, index entries and vectors. Returns false when it did not exist. */
  deleteDocument(id: string): Promise<boolean>;
  getChunks(ids: readonly string[]): Promise<Chunk[]>;
  /** Chunks with their index terms (for re-scoring keyword candidates). */
  getIndexedChunks(ids: readonly string[]): Promise<IndexedChunk[]>;
  /** Chunks of a document in reading order. */
  getDocumentChunks(docId: string): Promise<Chunk[]>;
  searchChunks(query: KeywordQuery): Promise<ScoredId[]>;
  searchDocuments(query: KeywordQuery): Promise<ScoredId[]>;
  /** How many chunks contain each term, and how many chunks there are (for IDF weights). */
  termFrequencies(terms: readonly string[]): Promise<{ chunks: number; averageChunkTerms: number; documentFrequency: Record<string, number> }>;
  /** Stores vectors for chunks; all vectors of one identity must have the same length. */
  putVectors(batch: VectorBatch): Promise<void>;
  /** Ids of chunks that have no vector for this identity yet. */
  chunksWithoutVectors(identity: EmbedderIdentity): Promise<string[]>;
  /** Nearest chunks by cosine similarity among the vectors of exactly this identity. */
  searchVectors(query: VectorQuery): Promise<ScoredId[]>;
  /**
   * Every chunk's index terms and every document's description terms, for retrievers that keep an
   * in-memory index. Pass `sinceRevision` to learn whether anything changed: when the store's
   * revision still equals it, `changed` is false and no rows are read.
   */
  scanChunkTerms(sinceRevision?: string): Promise<TermsScan>;
  /** Number of documents and chunks, and vectors per identity key. */
  stats(): Promise<{ documents: number; chunks: number; vectors: Record<string, number> }>;
  close(): Promise<void>;
}
