const WORD = /[\p{L}\p{N}]+(?:[._-][\p{L}\p{N}]+)*/gu;

/** Lower-case NFKC words of a text, stopwords and single letters included (for phrases and shingles). */
export function surfaceWords(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(WORD) ?? [];
}

interface Entry {
  /** Word ids in reading order. */
  words: Int32Array;
  /** Sorted distinct hashes of the word 3-grams. */
  shingles: Int32Array;
}

/**
 * Chunks as arrays of word ids, for verbatim phrase matching and near-duplicate detection without
 * string searches: a question trigram is three ids, a shingle one 32-bit hash. Entries are cached
 * by chunk id (ids change when the text does) and dropped together with the word dictionary.
 */
export class ChunkWords {
  private readonly dictionary = new Map<string, number>();
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 20_000) {}

  private entry(id: string, text: string): Entry {
    let entry = this.entries.get(id);
    if (entry) return entry;
    const words = Int32Array.from(surfaceWords(text), (w) => {
      let wordId = this.dictionary.get(w);
      if (wordId === undefined) {
        wordId = this.dictionary.size;
        this.dictionary.set(w, wordId);
      }
      return wordId;
    });
    const hashes = new Int32Array(Math.max(0, words.length - 2));
    for (let i = 0; i + 2 < words.length; i++) {
      hashes[i] = Math.imul(words[i] as number, 0x9e3779b1) ^ Math.imul(words[i + 1] as number, 0x85ebca6b) ^ Math.imul(words[i + 2] as number, 0xc2b2ae35);
    }
    hashes.sort();
    let distinct = 0;
    for (let i = 0; i < hashes.length; i++) if (i === 0 || hashes[i] !== hashes[i - 1]) hashes[distinct++] = hashes[i] as number;
    entry = { words, shingles: hashes.slice(0, distinct) };
    this.entries.set(id, entry);
    return entry;
  }

  /** Makes room for `n` new entries (ids from before and after a clear must never meet). */
  private reserve(n: number): void {
    if (this.entries.size + n > this.maxEntries) this.clear();
  }

  clear(): void {
    this.entries.clear();
    this.dictionary.clear();
  }

  /** Each chunk's words as ids, in reading order (ids stay consistent across the returned arrays). */
  passageWords(chunks: ReadonlyArray<{ id: string; text: string }>): Int32Array[] {
    this.reserve(chunks.length);
    return chunks.map((c) => this.entry(c.id, c.text).words);
  }

  /**
   * The question's word trigrams (stopwords and single letters included) as word ids, keyed by the
   * first word, with their position in the question; call after {@link passageWords} for the
   * chunks they are matched against. A trigram with a word no chunk read so far holds cannot match
   * and is left out of the map, but counts in `count`.
   */
  questionTrigrams(question: string): { trigrams: Map<number, Array<[second: number, third: number, position: number]>>; count: number } {
    const words = surfaceWords(question);
    const trigrams = new Map<number, Array<[number, number, number]>>();
    if (words.length < 3) return { trigrams, count: 0 };
    for (let t = 0; t + 2 < words.length; t++) {
      const [a, b, c] = [words[t], words[t + 1], words[t + 2]].map((w) => this.dictionary.get(w as string));
      if (a === undefined || b === undefined || c === undefined) continue;
      const list = trigrams.get(a) ?? [];
      list.push([b, c, t]);
      trigrams.set(a, list);
    }
    return { trigrams, count: words.length - 2 };
  }

  /**
   * Whether two chunks' word 3-gram sets have a Jaccard similarity above `threshold`. Exact; the
   * merge of the two sorted hash lists stops as soon as too many 3-grams differ to reach it.
   */
  similarAbove(a: { id: string; text: string }, b: { id: string; text: string }, threshold: number): boolean {
    this.reserve(2);
    const x = this.entry(a.id, a.text).shingles;
    const y = this.entry(b.id, b.text).shingles;
    if (x.length === 0 || y.length === 0) return false;
    // J > t  ⟺  shared > t·(|x|+|y|)/(1+t)  ⟺  differing < |x|+|y| − 2·that.
    const allowedDiffering = x.length + y.length - (2 * threshold * (x.length + y.length)) / (1 + threshold);
    let i = 0;
    let j = 0;
    let differing = 0;
    while (i < x.length && j < y.length) {
      const u = x[i] as number;
      const v = y[j] as number;
      if (u === v) {
        i++;
        j++;
      } else {
        differing++;
        if (differing >= allowedDiffering) return false;
        if (u < v) i++;
        else j++;
      }
    }
    return differing + (x.length - i) + (y.length - j) < allowedDiffering;
  }

  /** Number of distinct word 3-grams of a chunk. */
  shingleCount(chunk: { id: string; text: string }): number {
    this.reserve(1);
    return this.entry(chunk.id, chunk.text).shingles.length;
  }
}
