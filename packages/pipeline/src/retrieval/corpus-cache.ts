import type { Chunk, DocumentStore, DocumentTerms } from '@ragbridge/core-interfaces';
import { ChunkWords } from './chunk-words.js';
import { type DocumentDescription, describeDocument } from './keyword-index.js';
import { RowTermCounts } from './row-term-counts.js';

/**
 * What a retriever keeps in memory about a store's content: chunks read for earlier questions,
 * chunks as word ids, and the counted terms of candidate rows and of documents' descriptions
 * (questions share many candidates, and every question's candidates bring their documents). All
 * are dropped together when the store's revision changes.
 */
export class CorpusCache {
  private revision: string | undefined;
  private readonly chunks = new Map<string, Chunk>();
  private readonly descriptions = new Map<string, DocumentDescription>();
  /** Chunks as word ids, for phrase matching and near-duplicate detection. */
  readonly words = new ChunkWords();
  /** Candidate rows' term counts, for indexing each question's candidates. */
  readonly rows = new RowTermCounts();

  constructor(
    private readonly store: Pick<DocumentStore, 'revision' | 'getChunks'>,
    private readonly maxChunks = 20_000,
  ) {}

  /** Forgets every chunk when the store changed since the last call (a chunk id may then name new text). */
  async sync(): Promise<void> {
    const revision = await this.store.revision();
    if (revision === this.revision) return;
    this.revision = revision;
    this.chunks.clear();
    this.words.clear();
    this.descriptions.clear();
    this.rows.clear();
  }

  /** A document's counted description terms, counted once per document (while its terms stay the same). */
  readonly describe = (doc: DocumentTerms): DocumentDescription => {
    const known = this.descriptions.get(doc.id);
    if (known && known.terms === doc.terms) return known;
    const described = describeDocument(doc);
    this.descriptions.set(doc.id, described);
    return described;
  };

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
