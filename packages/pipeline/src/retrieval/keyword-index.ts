import type { ChunkTerms, DocumentTerms, KeywordCollectionStats } from '@ragbridge/core-interfaces';

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

/** A document's description terms (title, name, headings, first page) with their counts. */
export interface DocumentDescription {
  readonly id: string;
  readonly terms: string;
  readonly tf: ReadonlyMap<string, number>;
  /** Number of terms. */
  readonly length: number;
}

/** Counts a document's description terms. */
export function describeDocument(doc: DocumentTerms): DocumentDescription {
  const tf = new Map<string, number>();
  const terms = doc.terms ? doc.terms.split(' ') : [];
  for (const term of terms) tf.set(term, (tf.get(term) ?? 0) + 1);
  return { id: doc.id, terms: doc.terms, tf, length: terms.length };
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
  private documentsById: Map<string, ReadonlyMap<string, number>> | undefined;

  /**
   * Builds the index at once (synchronously). Over a large corpus prefer {@link KeywordIndex.build},
   * which gives the event loop a turn every few milliseconds.
   */
  constructor(rows: readonly ChunkTerms[], documents: readonly DocumentTerms[] = [], options: KeywordIndexOptions = {}, collected?: CollectedPostings) {
    const parts = collected ?? collectPostings(rows, options.terms);
    const { chunkLists, frequencyLists, lengths, density } = parts;
    this.ids = parts.ids;
    this.docIds = parts.docIds;
    this.pages = parts.pages;
    this.dictionary = parts.dictionary;
    if (parts.packed) {
      this.postingChunks = parts.packed.chunks;
      this.postingFrequencies = parts.packed.frequencies;
    } else {
      this.postingChunks = chunkLists.map((list) => Int32Array.from(list));
      this.postingFrequencies = frequencyLists.map((list) => Float32Array.from(list));
    }
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
   * Builds the index in slices of about `sliceMs`, yielding to the event loop between them, so a
   * server keeps answering other requests while a large corpus is indexed.
   */
  static async build(rows: readonly ChunkTerms[], documents: readonly DocumentTerms[] = [], sliceMs = 8, options: KeywordIndexOptions = {}): Promise<KeywordIndex> {
    const parts = emptyPostings(options.terms);
    let sliceStart = performance.now();
    const pause = async (i: number): Promise<void> => {
      if ((i & 63) !== 63 || performance.now() - sliceStart <= sliceMs) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    };
    for (let i = 0; i < rows.length; i++) {
      addPostings(parts, rows[i] as ChunkTerms);
      await pause(i);
    }
    // The postings become typed arrays in slices too (tens of thousands of terms).
    const packed = { chunks: [] as Int32Array[], frequencies: [] as Float32Array[] };
    for (let id = 0; id < parts.chunkLists.length; id++) {
      packed.chunks.push(Int32Array.from(parts.chunkLists[id] as number[]));
      packed.frequencies.push(Float32Array.from(parts.frequencyLists[id] as number[]));
      await pause(id);
    }
    parts.packed = packed;
    return new KeywordIndex(rows, documents, options, parts);
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
      const idf = Math.max(1e-6, Math.log((n - df + 0.5) / (df + 0.5)));
      for (const doc of this.documentTerms) {
        const f = doc.tf.get(term);
        if (!f) continue;
        const s = (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * doc.length) / this.averageDocumentLength));
        scores.set(doc.id, (scores.get(doc.id) ?? 0) + s);
      }
    }
    return scores;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The statistics of the indexed rows and documents for these terms (as a store reports them). */
  collectionStats(terms: readonly string[]): KeywordCollectionStats {
    const documents = this.documentTerms.length;
    return {
      chunks: this.size,
      averageChunkTerms: this.size > 0 ? this.averageLength : 0,
      chunkFrequency: Object.fromEntries(terms.map((t) => [t, this.chunkFrequency(t)])),
      documents,
      averageDocumentTerms: documents > 0 ? this.averageDocumentLength : 0,
      documentFrequency: Object.fromEntries(terms.map((t) => [t, this.collection?.documentFrequency[t] ?? this.documentDf.get(t) ?? 0])),
    };
  }

  /** The indexed documents whose description holds any of the terms. */
  documentsHolding(terms: readonly string[]): DocumentTerms[] {
    return this.documentTerms.filter((doc) => terms.some((t) => doc.tf.has(t))).map((doc) => ({ id: doc.id, terms: doc.terms }));
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
    this.documentsById ??= new Map(this.documentTerms.map((d) => [d.id, d.tf]));
    return this.documentsById.get(docId)?.has(term) ?? false;
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
  // Float32 halves the memory per question; BM25 needs no more precision.
  scoreGroups(groups: ReadonlyArray<readonly string[]>, idf: (term: string) => number, params: Bm25Parameters): { total: Float32Array; matching: number[] } {
    const n = this.size;
    const total = new Float32Array(n);
    const matching: number[] = [];
    if (this.scratch.length !== n) this.scratch = new Float32Array(n);
    const best = this.scratch;
    const touched: number[] = [];
    for (const group of groups) {
      for (const term of group) {
        const id = this.dictionary.get(term);
        if (id === undefined) continue;
        const weight = idf(term);
        const chunks = this.postingChunks[id] as Int32Array;
        const freqs = this.postingFrequencies[id] as Float32Array;
        for (let i = 0; i < chunks.length; i++) {
          const c = chunks[i] as number;
          const f = freqs[i] as number;
          const norm = params.k1 * (1 - params.b + (params.b * (this.lengths[c] as number)) / this.averageLength);
          const s = (weight * f * (params.k1 + 1)) / (f + norm);
          const before = best[c] as number;
          if (s > before) {
            if (before === 0) touched.push(c);
            best[c] = s;
            const sum = total[c] as number;
            if (sum === 0) matching.push(c);
            total[c] = sum + s - before;
          }
        }
      }
      for (const c of touched) best[c] = 0;
      touched.length = 0;
    }
    return { total, matching };
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
export interface CollectedPostings {
  ids: string[];
  docIds: string[];
  pages: number[];
  dictionary: Map<string, number>;
  chunkLists: number[][];
  frequencyLists: number[][];
  lengths: number[];
  density: number[];
  /** The postings as typed arrays, when already made. */
  packed?: { chunks: Int32Array[]; frequencies: Float32Array[] };
  /** The only terms given postings, when not all. */
  wanted?: ReadonlySet<string>;
  /** `wanted` by first character and length (made on first use). */
  lookup?: WantedLookup;
}

/** A binary or hex code (`0010011`, `0x7b0`); the first character rules out most terms before the pattern runs. */
function isCode(term: string): boolean {
  const first = term.charCodeAt(0);
  return (first === 48 || first === 49) && /^(?:[01]{3,}|0x[\da-f]+)$/.test(term);
}

function emptyPostings(wanted?: ReadonlySet<string>): CollectedPostings {
  return { ids: [], docIds: [], pages: [], dictionary: new Map(), chunkLists: [], frequencyLists: [], lengths: [], density: [], ...(wanted && { wanted }) };
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
    parts.lookup ??= wantedLookup(parts.wanted);
    addWantedPostings(parts, row, parts.lookup, chunk);
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

/** Wanted terms by first character and length, so most terms of a row are passed over without reading them. */
type WantedLookup = Map<number, string[]>;

const lookupKey = (first: number, length: number): number => first * 256 + Math.min(length, 255);

function wantedLookup(wanted: ReadonlySet<string>): WantedLookup {
  const lookup: WantedLookup = new Map();
  for (const term of wanted) {
    const key = lookupKey(term.charCodeAt(0), term.length);
    const list = lookup.get(key);
    if (list) list.push(term);
    else lookup.set(key, [term]);
  }
  return lookup;
}

/**
 * Counts the wanted terms of the space-separated `terms` into `tf` (each occurrence adds `weight`);
 * returns the number of terms and how many are binary or hex codes.
 */
function scanTerms(terms: string, lookup: WantedLookup, weight: number, tf: Map<string, number>): { length: number; codes: number } {
  let length = 0;
  let codes = 0;
  for (let start = 0; start < terms.length; ) {
    let end = terms.indexOf(' ', start);
    if (end < 0) end = terms.length;
    length++;
    const first = terms.charCodeAt(start);
    if ((first === 48 || first === 49) && isCode(terms.slice(start, end))) codes++;
    const candidates = lookup.get(lookupKey(first, end - start));
    if (candidates) {
      for (const term of candidates) {
        if (term.length === end - start && terms.startsWith(term, start)) tf.set(term, (tf.get(term) ?? 0) + weight);
      }
    }
    start = end + 1;
  }
  return { length, codes };
}

/**
 * {@link addPostings} for a few wanted terms: the row is read once without splitting it, and only
 * terms of a wanted term's first character and length are compared. Same postings, lengths and
 * code densities as the full path (in the order the full path adds them: body terms first).
 */
function addWantedPostings(parts: CollectedPostings, row: ChunkTerms, lookup: WantedLookup, chunk: number): void {
  const tf = new Map<string, number>();
  const { length, codes } = scanTerms(row.terms, lookup, 1, tf);
  if (row.headingTerms) scanTerms(row.headingTerms, lookup, 0.5, tf);
  parts.density.push(length ? codes / length : 0);
  for (const [term, f] of tf) {
    const id = termIdOf(parts, term);
    (parts.chunkLists[id] as number[]).push(chunk);
    (parts.frequencyLists[id] as number[]).push(f);
  }
  parts.lengths.push(length);
}

function collectPostings(rows: readonly ChunkTerms[], wanted?: ReadonlySet<string>): CollectedPostings {
  const parts = emptyPostings(wanted);
  for (const row of rows) addPostings(parts, row);
  return parts;
}
