import type { Chunk, SourceDocument } from '../documents.js';
import type { ChunkTerms, DocumentRecord, IndexedChunk, ScoredId } from '../document-store.js';
import type { DocumentStoreV2, KeywordCandidatesQuery, KeywordCandidates } from '../document-store-v2.js';
import { embedderIdentityKey } from '../embedder.js';

/** An in-memory {@link DocumentStoreV2} for tests: exact keyword and vector search over plain maps. */
export interface MockDocumentStore extends DocumentStoreV2 {
  /** How many writes it has taken (each moves the revision). */
  readonly writes: number;
}

interface StoredDocument {
  document: SourceDocument;
  chunks: IndexedChunk[];
  terms: string[];
}

/** Rejects a search whose signal is already aborted, with the signal's reason (an AbortError). */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('The search was aborted', 'AbortError');
}

const split = (terms: string): string[] => (terms ? terms.split(' ') : []);

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Creates an empty in-memory document store. Keyword candidates are ranked by BM25 over the body
 * terms (k1 1.2, b 0.75); vector search is exact. Nothing is shared between instances.
 */
export function createMockDocumentStore(): MockDocumentStore {
  const documents = new Map<string, StoredDocument>();
  const chunkOwner = new Map<string, string>();
  /** Vectors per identity key, by chunk id. */
  const vectors = new Map<string, Map<string, Float32Array>>();
  let writes = 0;

  const allChunks = (): IndexedChunk[] => [...documents.values()].flatMap((d) => d.chunks);
  const plain = (chunk: IndexedChunk): Chunk => {
    const { terms: _t, headingTerms: _h, ...rest } = chunk;
    return structuredClone(rest);
  };
  const remove = (id: string): boolean => {
    const stored = documents.get(id);
    if (!stored) return false;
    documents.delete(id);
    for (const chunk of stored.chunks) {
      chunkOwner.delete(chunk.id);
      for (const space of vectors.values()) space.delete(chunk.id);
    }
    return true;
  };

  const keywordCandidates = async (query: KeywordCandidatesQuery): Promise<KeywordCandidates> => {
    throwIfAborted(query.abortSignal);
    const queryTerms = [...new Set(query.groups.flat())];
    const chunks = allChunks();
    const bodies = chunks.map((c) => split(c.terms));
    const chunkFrequency = Object.fromEntries(queryTerms.map((t) => [t, bodies.filter((b, i) => b.includes(t) || split((chunks[i] as IndexedChunk).headingTerms).includes(t)).length]));
    const average = chunks.length ? bodies.reduce((a, b) => a + b.length, 0) / chunks.length : 0;
    const docs = [...documents.values()];
    const documentFrequency = Object.fromEntries(queryTerms.map((t) => [t, docs.filter((d) => d.terms.includes(t)).length]));
    const scored = chunks.map((chunk, i) => {
      const body = bodies[i] as string[];
      let score = 0;
      for (const term of queryTerms) {
        const f = body.filter((t) => t === term).length + split(chunk.headingTerms).filter((t) => t === term).length * 0.5;
        if (f === 0) continue;
        const df = chunkFrequency[term] as number;
        const idf = Math.log(1 + (chunks.length - df + 0.5) / (df + 0.5)) * (query.termWeights?.[term] ?? 1);
        score += (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * body.length) / (average || 1)));
      }
      return { chunk, score };
    });
    const matching = scored.filter((s) => s.score > 0).sort((a, b) => b.score - a.score);
    const chosen = new Set(matching.slice(0, query.limit).map((s) => s.chunk));
    for (const term of queryTerms) {
      const df = chunkFrequency[term] as number;
      if (df > 0 && df <= query.rareTermLimit) for (const { chunk } of matching) if (split(chunk.terms).includes(term) || split(chunk.headingTerms).includes(term)) chosen.add(chunk);
    }
    const rows: ChunkTerms[] = [...chosen].map((c) => ({ id: c.id, docId: c.docId, page: c.page, terms: c.terms, headingTerms: c.headingTerms }));
    return {
      stats: {
        chunks: chunks.length,
        averageChunkTerms: average,
        chunkFrequency,
        documents: docs.length,
        averageDocumentTerms: docs.length ? docs.reduce((a, d) => a + d.terms.length, 0) / docs.length : 0,
        documentFrequency,
      },
      chunks: rows,
      documents: docs.filter((d) => queryTerms.some((t) => d.terms.includes(t))).map((d) => ({ id: d.document.id, terms: d.terms.join(' ') })),
    };
  };

  return {
    specificationVersion: 'v2',
    get writes() {
      return writes;
    },
    async listDocuments() {
      return [...documents.values()].map((d) => structuredClone(d.document)).sort((a, b) => a.name.localeCompare(b.name));
    },
    async getDocument(id) {
      const stored = documents.get(id);
      return stored && structuredClone(stored.document);
    },
    async getDocumentBySource(source) {
      const stored = [...documents.values()].find((d) => d.document.source === source);
      return stored && structuredClone(stored.document);
    },
    async putDocument(record: DocumentRecord) {
      const ids = new Set(record.chunks.map((c) => c.id));
      if (ids.size !== record.chunks.length) throw new Error(`document ${record.document.id} has two chunks with one id`);
      for (const id of ids) {
        const owner = chunkOwner.get(id);
        if (owner !== undefined && owner !== record.document.id) throw new Error(`chunk ${id} belongs to document ${owner}`);
      }
      const previous = [...documents.values()].find((d) => d.document.source === record.document.source);
      if (previous) remove(previous.document.id);
      remove(record.document.id);
      documents.set(record.document.id, { document: structuredClone(record.document), chunks: structuredClone(record.chunks), terms: split(record.documentTerms) });
      for (const id of ids) chunkOwner.set(id, record.document.id);
      writes++;
    },
    async deleteDocument(id) {
      const removed = remove(id);
      if (removed) writes++;
      return removed;
    },
    async getChunks(ids) {
      const byId = new Map(allChunks().map((c) => [c.id, c]));
      return ids.flatMap((id) => {
        const chunk = byId.get(id);
        return chunk ? [plain(chunk)] : [];
      });
    },
    async getDocumentChunks(docId) {
      return (documents.get(docId)?.chunks ?? []).map(plain);
    },
    async putVectors(batch) {
      if (batch.entries.length === 0) return;
      const key = embedderIdentityKey(batch.identity);
      const space = vectors.get(key);
      const dims = space?.values().next().value?.length ?? batch.entries[0]?.vector.length;
      for (const { chunkId, vector } of batch.entries) {
        if (vector.length !== dims) throw new Error(`vectors for ${batch.identity.modelId} have ${dims} dimensions, got ${vector.length}`);
        if (!chunkOwner.has(chunkId)) throw new Error(`no chunk "${chunkId}" to attach a vector to`);
      }
      const target = space ?? new Map<string, Float32Array>();
      for (const { chunkId, vector } of batch.entries) target.set(chunkId, Float32Array.from(vector));
      vectors.set(key, target);
      writes++;
    },
    async chunksWithoutVectors(identity) {
      const space = vectors.get(embedderIdentityKey(identity));
      return allChunks()
        .filter((c) => !space?.has(c.id))
        .map((c) => c.id);
    },
    async revision() {
      return String(writes);
    },
    async stats() {
      const counts: Record<string, number> = {};
      for (const [key, space] of vectors) if (space.size > 0) counts[key] = space.size;
      return { documents: documents.size, chunks: chunkOwner.size, vectors: counts };
    },
    keywordSearch: { specificationVersion: 'v1', keywordCandidates },
    vectorSearch: {
      specificationVersion: 'v1',
      async vectorCandidates(query): Promise<ScoredId[]> {
        throwIfAborted(query.abortSignal);
        const space = vectors.get(embedderIdentityKey(query.identity));
        if (!space) return [];
        return [...space]
          .map(([id, v]) => ({ id, score: cosine(v, query.vector) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, query.limit);
      },
    },
    async close() {
      documents.clear();
    },
  };
}
