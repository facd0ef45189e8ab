import type { KeywordCollectionStats } from '@ragbridge/core-interfaces';
import type { SelectablePostings } from '../retrieval/candidate-selection.js';
import { groupedBm25, groupedBm25Of } from '../retrieval/grouped-bm25.js';
import { type Bm25Parameters, descriptionIdf, descriptionTermScore } from '../retrieval/keyword-index.js';
import { type PostingList, type PostingSource, TermPostings } from './keyword-postings.js';

/** A chunk as the index takes it in: its row key and index terms. */
export interface IndexedChunkTerms {
  pk: number;
  terms: string;
  headingTerms: string;
}

/** Growable typed arrays of one kind per slot. */
class SlotColumn {
  values: Int32Array;
  constructor(capacity = 1024) {
    this.values = new Int32Array(capacity);
  }
  /** A column holding these values (taken as they are: a snapshot's; `set` grows it by copying). */
  static of(values: Int32Array): SlotColumn {
    const column = new SlotColumn(0);
    column.values = values;
    return column;
  }
  set(slot: number, value: number): void {
    if (slot >= this.values.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    this.values[slot] = value;
  }
}

/** Slots of chunks or of documents: their length in terms and whether they are live. */
class Slots {
  lengths = new SlotColumn();
  live = new Uint8Array(1024);
  count = 0;
  liveCount = 0;
  liveLength = 0;
  /** Slots removed so far (a posting list counted its live entries at some value of it). */
  removals = 0;

  /** Live slots of these lengths, taken at once (a snapshot's). */
  static of(lengths: Int32Array): Slots {
    const slots = new Slots();
    slots.lengths = SlotColumn.of(lengths);
    slots.live = new Uint8Array(slots.lengths.values.length);
    slots.live.fill(1, 0, lengths.length);
    slots.count = lengths.length;
    slots.liveCount = lengths.length;
    let sum = 0;
    for (let i = 0; i < lengths.length; i++) sum += lengths[i] as number;
    slots.liveLength = sum;
    return slots;
  }

  add(length: number): number {
    const slot = this.count++;
    this.lengths.set(slot, length);
    if (slot >= this.live.length) {
      const grown = new Uint8Array(Math.max(1024, slot + 1, this.live.length * 2));
      grown.set(this.live);
      this.live = grown;
    }
    this.live[slot] = 1;
    this.liveCount++;
    this.liveLength += length;
    return slot;
  }

  remove(slot: number): void {
    if (this.live[slot] === 0) return;
    this.live[slot] = 0;
    this.liveCount--;
    this.liveLength -= this.lengths.values[slot] as number;
    this.removals++;
  }

  /** Live entries of a list (counted again only after a removal since the last count). */
  liveEntries(list: PostingList): number {
    if (this.removals === 0) return list.length;
    if (list.countedAt !== this.removals) {
      let live = 0;
      for (let i = 0; i < list.length; i++) live += this.live[list.slots[i] as number] as number;
      list.live = live;
      list.countedAt = this.removals;
    }
    return list.live;
  }

  /** The live slots of a list, in order. */
  liveSlots(list: PostingList): Int32Array {
    const out = new Int32Array(this.liveEntries(list));
    let n = 0;
    for (let i = 0; i < list.length; i++) {
      const slot = list.slots[i] as number;
      if (this.live[slot] === 1) out[n++] = slot;
    }
    return out;
  }

  average(): number {
    return this.liveCount > 0 ? this.liveLength / this.liveCount : 0;
  }
}

/** The parts of a {@link StoreKeywordIndex} a snapshot holds. */
export interface KeywordIndexParts {
  /** Per chunk slot: row key, body length, document slot. */
  chunkPks: Int32Array;
  chunkLengths: Int32Array;
  chunkDocuments: Int32Array;
  /** Per document slot: id and description length. */
  documentIds: string[];
  documentLengths: Int32Array;
  chunkPostings: PostingSource;
  documentPostings: PostingSource;
}

/**
 * The store's keyword index: postings of every chunk's terms (body terms count 1, heading terms
 * 1/2) and of every document's description, in slots given in the order chunks were added (the
 * store adds them in row order). A document's removal marks its slots removed (searches skip
 * them, frequencies and lengths leave them out) until {@link compact} renumbers the rest; adding
 * appends. Searches and statistics therefore equal those of an index built afresh from what is
 * live, in the same order.
 */
export class StoreKeywordIndex implements SelectablePostings {
  private readonly chunks: Slots;
  private readonly chunkPks: SlotColumn;
  private readonly chunkDocuments: SlotColumn;
  private chunkPostings: TermPostings;
  private readonly documents: Slots;
  private readonly documentIds: string[];
  /** Document slots by id, built on first use (a cold process that only searches never needs it). */
  private slotsById: Map<string, number> | undefined;
  private get documentSlots(): Map<string, number> {
    return (this.slotsById ??= new Map(this.documentIds.map((id, slot) => [id, slot])));
  }
  private documentPostings: TermPostings;
  private scratch = new Float32Array(0);

  /** An empty index, or one holding a snapshot's parts (taken as whole arrays: a cold start does no per-chunk work). */
  constructor(parts?: KeywordIndexParts) {
    this.chunkPostings = new TermPostings(parts?.chunkPostings);
    this.documentPostings = new TermPostings(parts?.documentPostings);
    this.chunks = parts ? Slots.of(parts.chunkLengths) : new Slots();
    this.chunkPks = parts ? SlotColumn.of(parts.chunkPks) : new SlotColumn();
    this.chunkDocuments = parts ? SlotColumn.of(parts.chunkDocuments) : new SlotColumn();
    this.documents = parts ? Slots.of(parts.documentLengths) : new Slots();
    this.documentIds = parts ? [...parts.documentIds] : [];
  }

  /** Adds a document's description; its chunks follow with {@link addChunk}. Returns its slot. */
  addDocument(id: string, terms: string): number {
    this.removeDocument(id);
    const tf = new Map<string, number>();
    const list = terms ? terms.split(' ') : [];
    for (const term of list) tf.set(term, (tf.get(term) ?? 0) + 1);
    const slot = this.documents.add(list.length);
    this.documentIds[slot] = id;
    this.documentSlots.set(id, slot);
    for (const [term, f] of tf) this.documentPostings.add(term, slot, f);
    return slot;
  }

  /** Adds a chunk of the document in `documentSlot` (chunks must come in row order). */
  addChunk(documentSlot: number, chunk: IndexedChunkTerms): void {
    const body = chunk.terms ? chunk.terms.split(' ') : [];
    const tf = new Map<string, number>();
    for (const term of body) tf.set(term, (tf.get(term) ?? 0) + 1);
    if (chunk.headingTerms) for (const term of chunk.headingTerms.split(' ')) tf.set(term, (tf.get(term) ?? 0) + 0.5);
    const slot = this.chunks.add(body.length);
    this.chunkPks.set(slot, chunk.pk);
    this.chunkDocuments.set(slot, documentSlot);
    for (const [term, f] of tf) this.chunkPostings.add(term, slot, f);
  }

  /** Marks a document and its chunks removed. Returns false when the index does not hold it. */
  removeDocument(id: string): boolean {
    const slot = this.documentSlots.get(id);
    if (slot === undefined) return false;
    this.documentSlots.delete(id);
    this.documents.remove(slot);
    const owners = this.chunkDocuments.values;
    for (let c = 0; c < this.chunks.count; c++) if (owners[c] === slot) this.chunks.remove(c);
    return true;
  }

  /** Live chunks. */
  get size(): number {
    return this.chunks.liveCount;
  }

  /** Chunk slots in use, live or removed. */
  get slots(): number {
    return this.chunks.count;
  }

  /** Removed chunk slots not yet compacted away. */
  get removedChunks(): number {
    return this.chunks.count - this.chunks.liveCount;
  }

  get documentCount(): number {
    return this.documents.liveCount;
  }

  /** How many live chunks hold the term. */
  chunkFrequency(term: string): number {
    const list = this.chunkPostings.get(term);
    return list ? this.chunks.liveEntries(list) : 0;
  }

  /** How many live documents' descriptions hold the term. */
  documentFrequency(term: string): number {
    const list = this.documentPostings.get(term);
    return list ? this.documents.liveEntries(list) : 0;
  }

  /** Live chunk slots holding the term, in order. */
  chunksWith(term: string): Int32Array {
    const list = this.chunkPostings.get(term);
    return list ? this.chunks.liveSlots(list) : new Int32Array(0);
  }

  /** The row key of a chunk slot. */
  pkOf(slot: number): number {
    return this.chunkPks.values[slot] as number;
  }

  /**
   * Ids of the documents a question's candidates need described, in slot order: those of the
   * candidate chunks whose description holds a term, and the document whose description scores
   * best against the terms (the normaliser of document scores), whatever its chunks.
   */
  describedDocuments(terms: readonly string[], candidates: readonly number[]): string[] {
    const lists = terms.flatMap((term) => {
      const list = this.documentPostings.get(term);
      return list ? [{ term, list }] : [];
    });
    const owners = this.chunkDocuments.values;
    const slots = new Set<number>();
    for (const c of candidates) {
      const owner = owners[c] as number;
      if (!slots.has(owner) && lists.some(({ list }) => holds(list, owner))) slots.add(owner);
    }
    const best = this.bestDescription(lists);
    if (best >= 0) slots.add(best);
    return [...slots].sort((a, b) => a - b).map((slot) => this.documentIds[slot] as string);
  }

  /** The live document whose description scores best (first in slot order among equals), or -1. */
  private bestDescription(lists: ReadonlyArray<{ list: PostingList }>): number {
    const documents = this.documents;
    const scores = new Float64Array(documents.count);
    const average = documents.average();
    for (const { list } of lists) {
      const df = documents.liveEntries(list);
      if (df === 0) continue;
      const idf = descriptionIdf(documents.liveCount, df);
      for (let i = 0; i < list.length; i++) {
        const slot = list.slots[i] as number;
        if (documents.live[slot] === 0) continue;
        // Summed term by term in question order, as the retriever sums them.
        scores[slot] = (scores[slot] as number) + descriptionTermScore(idf, list.freqs[i] as number, documents.lengths.values[slot] as number, average);
      }
    }
    let best = -1;
    for (let slot = 0; slot < scores.length; slot++) if ((scores[slot] as number) > 0 && (best < 0 || (scores[slot] as number) > (scores[best] as number))) best = slot;
    return best;
  }

  /** Grouped BM25 over the live chunks (the retriever's formula), by slot. */
  scoreGroups(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters): { total: Float32Array; matching: number[] } {
    const size = this.chunks.count;
    if (this.scratch.length < size) this.scratch = new Float32Array(Math.max(size, this.scratch.length * 2));
    return groupedBm25(
      {
        size,
        postingsOf: (term) => this.chunkPostings.get(term),
        lengths: this.chunks.lengths.values,
        averageLength: this.chunks.average(),
        scratch: this.scratch,
        ...(this.chunks.removals > 0 && { live: this.chunks.live }),
      },
      groups,
      idf,
      params,
    );
  }

  /** Grouped BM25 of the chunk slots in `pool` only (ascending, live), by pool index. */
  scoreChunks(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters, pool: Int32Array): Float32Array {
    return groupedBm25Of(
      { postingsOf: (term) => this.chunkPostings.get(term), lengths: this.chunks.lengths.values, averageLength: this.chunks.average() },
      groups,
      idf,
      params,
      pool,
    );
  }

  /** The collection statistics of the terms. */
  stats(terms: readonly string[]): KeywordCollectionStats {
    return {
      chunks: this.chunks.liveCount,
      averageChunkTerms: this.chunks.average(),
      chunkFrequency: Object.fromEntries(terms.map((t) => [t, this.chunkFrequency(t)])),
      documents: this.documents.liveCount,
      averageDocumentTerms: this.documents.average(),
      documentFrequency: Object.fromEntries(terms.map((t) => [t, this.documentFrequency(t)])),
    };
  }

  /**
   * Drops removed slots, renumbering the rest in order (every persisted list is read in). Slots
   * change: call it between searches, never during one.
   */
  compact(): void {
    const moveChunks = renumbering(this.chunks);
    const moveDocuments = renumbering(this.documents);
    this.chunkPostings.renumber(moveChunks);
    this.documentPostings.renumber(moveDocuments);
    const pks = this.chunkPks.values;
    const owners = this.chunkDocuments.values;
    const lengths = this.chunks.lengths.values;
    const documentLengths = this.documents.lengths.values;
    const keptChunks: Array<[number, number, number]> = [];
    for (let c = 0; c < this.chunks.count; c++) if (moveChunks[c] as number >= 0) keptChunks.push([pks[c] as number, lengths[c] as number, moveDocuments[owners[c] as number] as number]);
    const keptDocuments: Array<[string, number]> = [];
    for (let d = 0; d < this.documents.count; d++) if (moveDocuments[d] as number >= 0) keptDocuments.push([this.documentIds[d] as string, documentLengths[d] as number]);
    resetSlots(this.chunks);
    resetSlots(this.documents);
    this.documentIds.length = 0;
    this.documentSlots.clear();
    for (const [id, length] of keptDocuments) {
      const slot = this.documents.add(length);
      this.documentIds[slot] = id;
      this.documentSlots.set(id, slot);
    }
    for (const [pk, length, owner] of keptChunks) {
      const slot = this.chunks.add(length);
      this.chunkPks.set(slot, pk);
      this.chunkDocuments.set(slot, owner);
    }
  }

  /** Everything a snapshot needs, compacted first (every list read in). */
  parts(): { chunkPks: Int32Array; chunkLengths: Int32Array; chunkDocuments: Int32Array; documentIds: string[]; documentLengths: Int32Array; chunkPostings: ReadonlyMap<string, PostingList>; documentPostings: ReadonlyMap<string, PostingList> } {
    if (this.chunks.removals > 0 || this.documents.removals > 0) this.compact();
    const n = this.chunks.count;
    return {
      chunkPks: this.chunkPks.values.slice(0, n),
      chunkLengths: this.chunks.lengths.values.slice(0, n),
      chunkDocuments: this.chunkDocuments.values.slice(0, n),
      documentIds: this.documentIds.slice(0, this.documents.count),
      documentLengths: this.documents.lengths.values.slice(0, this.documents.count),
      chunkPostings: this.chunkPostings.all(),
      documentPostings: this.documentPostings.all(),
    };
  }
}

/** Whether a posting list holds the slot (binary search: lists are in slot order). */
function holds(list: PostingList, slot: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const value = list.slots[mid] as number;
    if (value === slot) return true;
    if (value < slot) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** New slot of every slot, -1 for removed ones. */
function renumbering(slots: Slots): Int32Array {
  const moved = new Int32Array(slots.count);
  let next = 0;
  for (let s = 0; s < slots.count; s++) moved[s] = slots.live[s] === 1 ? next++ : -1;
  return moved;
}

function resetSlots(slots: Slots): void {
  slots.count = 0;
  slots.liveCount = 0;
  slots.liveLength = 0;
  slots.removals = 0;
  slots.live.fill(0);
}
