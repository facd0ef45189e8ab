import type { ChunkTerms, DocumentTerms } from '@ragbridge/core-interfaces';

/** BM25 parameters. */
export interface Bm25Parameters {
  k1: number;
  b: number;
}

/**
 * An in-memory inverted index over the chunks' analyzed terms, postings as typed arrays, with the
 * per-document description terms. Scoring every chunk that holds a question term takes well under
 * a millisecond for thousands of chunks, where an FTS5 OR-query takes several.
 */
export class KeywordIndex {
  readonly ids: string[];
  readonly docIds: string[];
  readonly pages: number[];
  private readonly lengths: Float64Array;
  private readonly dictionary: Map<string, number>;
  private readonly postingChunks: Int32Array[];
  private readonly postingFrequencies: Float32Array[];
  readonly averageLength: number;
  /** Share of each chunk's terms that are binary or hex codes (opcode tables, register maps). */
  readonly codeDensity: Float32Array;
  /** Per document: its description terms (title, name, headings, first page) with their counts. */
  private readonly documentTerms: Array<{ id: string; tf: Map<string, number>; length: number }>;
  private readonly documentDf = new Map<string, number>();
  private readonly averageDocumentLength: number;
  /** Scratch per chunk for `scoreGroups` (all zero between calls). */
  private scratch = new Float32Array(0);
  /** Chunk position by id, built on first use. */
  private positions: Map<string, number> | undefined;
  /** Document description terms by document id, built on first use. */
  private documentsById: Map<string, Map<string, number>> | undefined;

  /**
   * Builds the index at once (synchronously). Over a large corpus prefer {@link KeywordIndex.build},
   * which gives the event loop a turn every few milliseconds.
   */
  constructor(rows: readonly ChunkTerms[], documents: readonly DocumentTerms[] = [], collected?: CollectedPostings) {
    const parts = collected ?? collectPostings(rows);
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
    this.averageLength = lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 1;
    this.documentTerms = documents.map((doc) => {
      const tf = new Map<string, number>();
      const terms = doc.terms ? doc.terms.split(' ') : [];
      for (const term of terms) tf.set(term, (tf.get(term) ?? 0) + 1);
      for (const term of tf.keys()) this.documentDf.set(term, (this.documentDf.get(term) ?? 0) + 1);
      return { id: doc.id, tf, length: terms.length };
    });
    this.averageDocumentLength = this.documentTerms.length ? this.documentTerms.reduce((a, d) => a + d.length, 0) / this.documentTerms.length : 1;
  }

  /**
   * Builds the index in slices of about `sliceMs`, yielding to the event loop between them, so a
   * server keeps answering other requests while a large corpus is indexed.
   */
  static async build(rows: readonly ChunkTerms[], documents: readonly DocumentTerms[] = [], sliceMs = 8): Promise<KeywordIndex> {
    const parts = emptyPostings();
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
    return new KeywordIndex(rows, documents, parts);
  }

  /**
   * BM25 of each document's description terms against the question terms (the formula of SQLite
   * FTS5's `bm25()`, k1 1.2, b 0.75, so a store's `searchDocuments` ranks the same). Documents
   * matching no term are left out.
   */
  scoreDocuments(terms: readonly string[]): Map<string, number> {
    const scores = new Map<string, number>();
    const n = this.documentTerms.length;
    for (const term of terms) {
      const df = this.documentDf.get(term);
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

  /** How many chunks hold the term. */
  documentFrequency(term: string): number {
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
  scoreGroups(groups: readonly string[][], idf: (term: string) => number, params: Bm25Parameters): { total: Float32Array; matching: number[] } {
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
}

function emptyPostings(): CollectedPostings {
  return { ids: [], docIds: [], pages: [], dictionary: new Map(), chunkLists: [], frequencyLists: [], lengths: [], density: [] };
}

/** Adds one chunk's terms: body terms count once each, heading terms half (they describe the chunk but are not its text). */
function addPostings(parts: CollectedPostings, row: ChunkTerms): void {
  const chunk = parts.ids.length;
  parts.ids.push(row.id);
  parts.docIds.push(row.docId);
  parts.pages.push(row.page);
  const termId = (term: string): number => {
    let id = parts.dictionary.get(term);
    if (id === undefined) {
      id = parts.dictionary.size;
      parts.dictionary.set(term, id);
      parts.chunkLists.push([]);
      parts.frequencyLists.push([]);
    }
    return id;
  };
  const body = row.terms ? row.terms.split(' ') : [];
  let codes = 0;
  for (const term of body) if (/^(?:[01]{3,}|0x[\da-f]+)$/.test(term)) codes++;
  parts.density.push(body.length ? codes / body.length : 0);
  const tf = new Map<number, number>();
  for (const term of body) {
    const id = termId(term);
    tf.set(id, (tf.get(id) ?? 0) + 1);
  }
  for (const term of row.headingTerms ? row.headingTerms.split(' ') : []) {
    const id = termId(term);
    tf.set(id, (tf.get(id) ?? 0) + 0.5);
  }
  for (const [id, f] of tf) {
    (parts.chunkLists[id] as number[]).push(chunk);
    (parts.frequencyLists[id] as number[]).push(f);
  }
  parts.lengths.push(body.length);
}

function collectPostings(rows: readonly ChunkTerms[]): CollectedPostings {
  const parts = emptyPostings();
  for (const row of rows) addPostings(parts, row);
  return parts;
}
