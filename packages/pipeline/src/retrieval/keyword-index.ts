import type { ChunkTerms, DocumentTerms, KeywordCollectionStats } from '@ragbridge/core-interfaces';
import { groupedBm25, groupedBm25Of, type PostingEntries } from './grouped-bm25.js';
import { countRowTerms, isCode, type RowTermCounter } from './row-term-counts.js';

/** BM25 parameters. */
export interface Bm25Parameters {
  k1: number;
  b: number;
}

/** BM25 term-frequency saturation (k1) and length normalisation (b) unless configured otherwise. */
export const BM25_DEFAULTS: Readonly<Bm25Parameters> = { k1: 1.2, b: 0.75 };

/** A term's inverse chunk frequency among `chunks` chunks, `frequency` of which hold it (BM25's, kept positive). */
export function inverseChunkFrequency(chunks: number, frequency: number): number {
  return Math.log(1 + (chunks - frequency + 0.5) / (frequency + 0.5));
}

/** Inverse document frequency of a description term among `documents`, `frequency` of which hold it (FTS5's `bm25()`, kept positive). */
export function descriptionIdf(documents: number, frequency: number): number {
  return Math.max(1e-6, Math.log((documents - frequency + 0.5) / (frequency + 0.5)));
}

/** One term's BM25 in a document description (k1 1.2, b 0.75: the formula of FTS5's `bm25()`); a description's score sums its query terms'. */
export function descriptionTermScore(idf: number, frequency: number, length: number, averageLength: number): number {
  return (idf * frequency * 2.2) / (frequency + 1.2 * (0.25 + (0.75 * length) / averageLength));
}

/**
 * A document's description terms (title, name, headings, first page) with their counts. A term's
 * count is found in the text when first asked for (a question asks for a few terms of a few hundred
 * descriptions: splitting and counting every term of each cost a fresh process ~25 ms at 100k
 * chunks); all counts at once only when a whole-corpus index needs every term.
 */
export class DocumentDescription {
  /** Number of terms. */
  readonly length: number;
  private counts: Map<string, number> | undefined;
  private readonly asked = new Map<string, number>();

  constructor(
    readonly id: string,
    readonly terms: string,
  ) {
    let spaces = 0;
    for (let i = terms.indexOf(' '); i !== -1; i = terms.indexOf(' ', i + 1)) spaces++;
    this.length = terms ? spaces + 1 : 0;
  }

  /** How many times the description holds the term. */
  count(term: string): number {
    if (this.counts) return this.counts.get(term) ?? 0;
    const known = this.asked.get(term);
    if (known !== undefined) return known;
    const text = this.terms;
    let n = 0;
    for (let at = text.indexOf(term); at !== -1; at = text.indexOf(term, at + 1)) {
      const end = at + term.length;
      if ((at === 0 || text.charCodeAt(at - 1) === 32) && (end === text.length || text.charCodeAt(end) === 32)) n++;
    }
    this.asked.set(term, n);
    return n;
  }

  /** Every term with its count. */
  get tf(): ReadonlyMap<string, number> {
    if (!this.counts) {
      const counts = new Map<string, number>();
      if (this.terms) for (const term of this.terms.split(' ')) counts.set(term, (counts.get(term) ?? 0) + 1);
      this.counts = counts;
    }
    return this.counts;
  }
}

/** A document's description, its terms counted as they are asked for. */
export function describeDocument(doc: DocumentTerms): DocumentDescription {
  return new DocumentDescription(doc.id, doc.terms);
}

/** Options of {@link KeywordIndex}. */
export interface KeywordIndexOptions {
  /**
   * Statistics of the whole collection the rows were taken from (a store's keyword candidates):
   * BM25, IDF and document scores then rank the rows as an index over the whole collection would.
   * @default the statistics of the rows themselves
   */
  collection?: KeywordCollectionStats;
  /**
   * Index only these terms (a question's): the others still count in lengths and code density.
   * Building over a question's candidates then touches a few postings instead of every term.
   * @default every term
   */
  terms?: ReadonlySet<string>;
  /** Counts a document's description terms, e.g. from a cache kept across questions. @default {@link describeDocument} */
  describe?: (doc: DocumentTerms) => DocumentDescription;
  /** Counts a row's wanted terms (with `terms`), e.g. from a cache kept across questions. @default {@link countRowTerms} */
  counter?: RowTermCounter;
}

/**
 * An in-memory inverted index over chunks' analyzed terms, postings as typed arrays, with
 * per-document description terms. The retriever builds one over a question's keyword candidates,
 * scored with the store's collection statistics; over a whole corpus it is the reference the
 * candidates' scores must equal.
 */
export class KeywordIndex {
  readonly ids: string[];
  readonly docIds: string[];
  readonly pages: number[];
  private readonly lengths: Float64Array;
  private readonly dictionary: Map<string, number>;
  private readonly postingChunks: Int32Array[];
  private readonly postingFrequencies: Float32Array[];
  /** Average body length in terms over the collection (BM25 length normalisation). */
  readonly averageLength: number;
  /** Chunks in the collection (the store's, when built over its candidates). */
  readonly chunkCount: number;
  /** Share of each chunk's terms that are binary or hex codes (opcode tables, register maps). */
  readonly codeDensity: Float32Array;
  /** Per document: its description terms (title, name, headings, first page) with their counts. */
  private readonly documentTerms: readonly DocumentDescription[];
  private readonly documentDf = new Map<string, number>();
  private readonly averageDocumentLength: number;
  private readonly documentCount: number;
  private readonly collection: KeywordCollectionStats | undefined;
  /** Scratch per chunk for `scoreGroups` (all zero between calls). */
  private scratch = new Float32Array(0);
  /** Chunk position by id, built on first use. */
  private positions: Map<string, number> | undefined;
  /** Document description terms by document id, built on first use. */
  private documentsById: Map<string, DocumentDescription> | undefined;

  constructor(rows: readonly ChunkTerms[], documents: readonly DocumentTerms[] = [], options: KeywordIndexOptions = {}) {
    const parts = collectPostings(rows, options.terms, options.counter ?? countRowTerms);
    const { chunkLists, frequencyLists, lengths, density } = parts;
    this.ids = parts.ids;
    this.docIds = parts.docIds;
    this.pages = parts.pages;
    this.dictionary = parts.dictionary;
    this.postingChunks = chunkLists.map((list) => Int32Array.from(list));
    this.postingFrequencies = frequencyLists.map((list) => Float32Array.from(list));
    this.lengths = Float64Array.from(lengths);
    this.codeDensity = Float32Array.from(density);
    this.collection = options.collection;
    this.chunkCount = options.collection?.chunks ?? lengths.length;
    this.averageLength = options.collection ? options.collection.averageChunkTerms : lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 1;
    this.documentTerms = documents.map(options.describe ?? describeDocument);
    // With the collection's statistics given, its document frequencies serve instead.
    if (!options.collection) for (const doc of this.documentTerms) for (const term of doc.tf.keys()) this.documentDf.set(term, (this.documentDf.get(term) ?? 0) + 1);
    this.documentCount = options.collection?.documents ?? this.documentTerms.length;
    this.averageDocumentLength = options.collection
      ? options.collection.averageDocumentTerms
      : this.documentTerms.length
        ? this.documentTerms.reduce((a, d) => a + d.length, 0) / this.documentTerms.length
        : 1;
  }

  /**
   * BM25 of each document's description terms against the question terms (the formula of SQLite
   * FTS5's `bm25()`, k1 1.2, b 0.75), with the collection's document count, frequencies and average
   * length. Documents matching no term are left out.
   */
  scoreDocuments(terms: readonly string[]): Map<string, number> {
    const scores = new Map<string, number>();
    const n = this.documentCount;
    for (const term of terms) {
      const df = this.collection?.documentFrequency[term] ?? this.documentDf.get(term);
      if (!df) continue;
      const idf = descriptionIdf(n, df);
      for (const doc of this.documentTerms) {
        const f = doc.count(term);
        if (!f) continue;
        scores.set(doc.id, (scores.get(doc.id) ?? 0) + descriptionTermScore(idf, f, doc.length, this.averageDocumentLength));
      }
    }
    return scores;
  }

  get size(): number {
    return this.ids.length;
  }

  /**
   * How many chunks of the collection hold the term: the collection's count when it gives one,
   * else the count among the indexed rows.
   */
  chunkFrequency(term: string): number {
    const known = this.collection?.chunkFrequency[term];
    if (known !== undefined) return known;
    const id = this.dictionary.get(term);
    return id === undefined ? 0 : (this.postingChunks[id] as Int32Array).length;
  }

  /** Chunks holding the term. */
  chunksWith(term: string): Int32Array {
    const id = this.dictionary.get(term);
    return id === undefined ? new Int32Array(0) : (this.postingChunks[id] as Int32Array);
  }

  /** Whether a chunk holds the term with this id (binary search in its postings, which are in chunk order). */
  holds(chunk: number, termId: number): boolean {
    const postings = this.postingChunks[termId];
    if (!postings) return false;
    let lo = 0;
    let hi = postings.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = postings[mid] as number;
      if (value === chunk) return true;
      if (value < chunk) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** Whether a document's description (title, name, headings, first page) holds the term. */
  documentHolds(docId: string, term: string): boolean {
    this.documentsById ??= new Map(this.documentTerms.map((d) => [d.id, d]));
    return (this.documentsById.get(docId)?.count(term) ?? 0) > 0;
  }

  /** A chunk's position in the index by its id, or -1. */
  positionOf(id: string): number {
    this.positions ??= new Map(this.ids.map((chunkId, i) => [chunkId, i]));
    return this.positions.get(id) ?? -1;
  }

  /** The term's id, or -1. */
  termId(term: string): number {
    return this.dictionary.get(term) ?? -1;
  }

  /**
   * Grouped BM25: for each group of alternative terms, the best-scoring member counts. Returns the
   * sum over groups per chunk (0 where the chunk has no question term) and the chunks holding any
   * question term (in order of first posting). One scratch array serves every group and question.
   */
  scoreGroups(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters): { total: Float32Array; matching: number[] } {
    if (this.scratch.length !== this.size) this.scratch = new Float32Array(this.size);
    const postingsOf = (term: string): PostingEntries | undefined => this.postingsOf(term);
    return groupedBm25({ size: this.size, postingsOf, lengths: this.lengths, averageLength: this.averageLength, scratch: this.scratch }, groups, idf, params);
  }

  /** Grouped BM25 of the chunks at `pool` positions only (ascending), by pool index. */
  scoreChunks(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters, pool: Int32Array): Float32Array {
    const postingsOf = (term: string): PostingEntries | undefined => this.postingsOf(term);
    return groupedBm25Of({ postingsOf, lengths: this.lengths, averageLength: this.averageLength }, groups, idf, params, pool);
  }

  private postingsOf(term: string): PostingEntries | undefined {
    const id = this.dictionary.get(term);
    if (id === undefined) return undefined;
    const slots = this.postingChunks[id] as Int32Array;
    return { slots, freqs: this.postingFrequencies[id] as Float32Array, length: slots.length };
  }

  /** Whether a chunk holds any of the terms of a group (term ids; ids below 0 are skipped). */
  holdsAny(chunk: number, termIds: readonly number[]): boolean {
    for (const id of termIds) if (id >= 0 && this.holds(chunk, id)) return true;
    return false;
  }

  /** Length of a chunk's body in terms. */
  length(chunk: number): number {
    return this.lengths[chunk] as number;
  }
}

/** The k-th largest value (1-based) of `values`, which it reorders (quickselect). */
export function kthLargest(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) > pivot) i++;
      while ((values[j] as number) < pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return values[target] as number;
}

/** Postings gathered from chunk rows, before they become typed arrays. */
interface CollectedPostings {
  ids: string[];
  docIds: string[];
  pages: number[];
  dictionary: Map<string, number>;
  chunkLists: number[][];
  frequencyLists: number[][];
  lengths: number[];
  density: number[];
  /** The only terms given postings, when not all. */
  wanted?: ReadonlySet<string>;
  /** Counts a row's wanted terms. */
  counter: RowTermCounter;
}

function emptyPostings(wanted: ReadonlySet<string> | undefined, counter: RowTermCounter): CollectedPostings {
  return { ids: [], docIds: [], pages: [], dictionary: new Map(), chunkLists: [], frequencyLists: [], lengths: [], density: [], counter, ...(wanted && { wanted }) };
}

/** {@link addPostings} for the wanted terms only, counted by the index's counter. */
function addWantedPostings(parts: CollectedPostings, row: ChunkTerms, wanted: ReadonlySet<string>, chunk: number): void {
  const { length, density, counts } = parts.counter(row, wanted);
  parts.density.push(density);
  for (const term of wanted) {
    const f = counts.get(term) ?? 0;
    if (f === 0) continue;
    const id = termIdOf(parts, term);
    (parts.chunkLists[id] as number[]).push(chunk);
    (parts.frequencyLists[id] as number[]).push(f);
  }
  parts.lengths.push(length);
}

/** The term's id in the dictionary of `parts`, added with empty postings when new. */
function termIdOf(parts: CollectedPostings, term: string): number {
  let id = parts.dictionary.get(term);
  if (id === undefined) {
    id = parts.dictionary.size;
    parts.dictionary.set(term, id);
    parts.chunkLists.push([]);
    parts.frequencyLists.push([]);
  }
  return id;
}

/** Adds one chunk's terms: body terms count once each, heading terms half (they describe the chunk but are not its text). */
function addPostings(parts: CollectedPostings, row: ChunkTerms): void {
  const chunk = parts.ids.length;
  parts.ids.push(row.id);
  parts.docIds.push(row.docId);
  parts.pages.push(row.page);
  if (parts.wanted) {
    addWantedPostings(parts, row, parts.wanted, chunk);
    return;
  }
  const body = row.terms ? row.terms.split(' ') : [];
  let codes = 0;
  for (const term of body) if (isCode(term)) codes++;
  parts.density.push(body.length ? codes / body.length : 0);
  const tf = new Map<number, number>();
  for (const term of body) {
    const id = termIdOf(parts, term);
    tf.set(id, (tf.get(id) ?? 0) + 1);
  }
  for (const term of row.headingTerms ? row.headingTerms.split(' ') : []) {
    const id = termIdOf(parts, term);
    tf.set(id, (tf.get(id) ?? 0) + 0.5);
  }
  for (const [id, f] of tf) {
    (parts.chunkLists[id] as number[]).push(chunk);
    (parts.frequencyLists[id] as number[]).push(f);
  }
  parts.lengths.push(body.length);
}

function collectPostings(rows: readonly ChunkTerms[], wanted: ReadonlySet<string> | undefined, counter: RowTermCounter): CollectedPostings {
  const parts = emptyPostings(wanted, counter);
  for (const row of rows) addPostings(parts, row);
  return parts;
}
