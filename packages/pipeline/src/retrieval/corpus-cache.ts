import type { Chunk, DocumentStore } from '@ragbridge/core-interfaces';
import { ChunkWords } from './chunk-words.js';
import { KeywordIndex } from './keyword-index.js';

/**
 * What a retriever keeps in memory about a store: the keyword index (rebuilt when the store's
 * revision changes), chunks read for earlier questions, and chunks as word ids. Everything is
 * dropped together when the store changes.
 */
export class CorpusCache {
  private cached: { index: KeywordIndex; revision: string } | undefined;
  private loading: Promise<KeywordIndex> | undefined;
  private readonly chunks = new Map<string, Chunk>();
  /** Chunks as word ids, for phrase matching and near-duplicate detection. */
  readonly words = new ChunkWords();

  constructor(
    private readonly store: DocumentStore,
    private readonly maxChunks = 20_000,
  ) {}

  /** The in-memory keyword index, rebuilt when the store changed since it was built. */
  async keywordIndex(): Promise<KeywordIndex> {
    // A rebuild under way serves every question that comes meanwhile (no second scan).
    if (this.loading) return this.loading;
    const scan = await this.store.scanChunkTerms(this.cached?.revision);
    if (!scan.changed && this.cached) return this.cached.index;
    if (this.loading) return this.loading;
    // Built in slices: the event loop keeps serving while a large corpus is indexed.
    this.loading = KeywordIndex.build(scan.rows, scan.documents).then(
      (index) => {
        this.cached = { index, revision: scan.revision };
        this.chunks.clear();
        this.words.clear();
        this.loading = undefined;
        return index;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  /** Chunks by id (those that no longer exist are left out), from memory when read before. */
  async readChunks(ids: readonly string[]): Promise<Chunk[]> {
    const missing = ids.filter((id) => !this.chunks.has(id));
    if (missing.length > 0) {
      if (this.chunks.size > this.maxChunks) this.chunks.clear();
      for (const chunk of await this.store.getChunks(missing)) this.chunks.set(chunk.id, chunk);
    }
    return ids.flatMap((id) => {
      const chunk = this.chunks.get(id);
      return chunk ? [chunk] : [];
    });
  }
}
