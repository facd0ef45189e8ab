/** A posting list that grows: slots in ascending order and the term's frequency in each. */
export class PostingList {
  slots: Int32Array;
  freqs: Float32Array;
  length = 0;
  /** Entries whose slot is live, as counted at removal generation `countedAt` (-1: never counted). */
  live = 0;
  countedAt = -1;

  constructor(capacity = 4) {
    this.slots = new Int32Array(capacity);
    this.freqs = new Float32Array(capacity);
  }

  /** A list holding these entries (copied, with room to grow). */
  static of(slots: Int32Array, freqs: Float32Array): PostingList {
    const list = new PostingList(Math.max(4, slots.length));
    list.slots.set(slots);
    list.freqs.set(freqs);
    list.length = slots.length;
    return list;
  }

  push(slot: number, freq: number): void {
    if (this.length === this.slots.length) {
      const slots = new Int32Array(this.length * 2);
      slots.set(this.slots);
      this.slots = slots;
      const freqs = new Float32Array(this.length * 2);
      freqs.set(this.freqs);
      this.freqs = freqs;
    }
    this.slots[this.length] = slot;
    this.freqs[this.length] = freq;
    this.length++;
  }
}

/** Postings persisted elsewhere (a snapshot), read one term at a time. */
export interface PostingSource {
  /** The term's postings, or undefined when the source holds none. */
  read(term: string): { slots: Int32Array; freqs: Float32Array } | undefined;
  /** Every term the source holds. */
  terms(): Iterable<string>;
}

/**
 * Posting lists by term. Lists come from a persisted source the first time a term is asked for or
 * added to (a cold start reads the few terms of its question, not the whole index); added entries
 * always have higher slots than those before, so lists stay sorted.
 */
export class TermPostings {
  private readonly lists = new Map<string, PostingList>();

  constructor(private source?: PostingSource) {}

  /** The term's list, or undefined when no entry ever held it. */
  get(term: string): PostingList | undefined {
    const known = this.lists.get(term);
    if (known || !this.source) return known;
    const stored = this.source.read(term);
    if (!stored) return undefined;
    const list = PostingList.of(stored.slots, stored.freqs);
    this.lists.set(term, list);
    return list;
  }

  add(term: string, slot: number, freq: number): void {
    let list = this.get(term);
    if (!list) {
      list = new PostingList();
      this.lists.set(term, list);
    }
    list.push(slot, freq);
  }

  /** Every list, the persisted ones read in first (the source is then no longer needed). */
  all(): ReadonlyMap<string, PostingList> {
    if (this.source) {
      for (const term of this.source.terms()) this.get(term);
      this.source = undefined;
    }
    return this.lists;
  }

  /** Renumbers every slot by `moved` (-1: removed), dropping lists left empty. */
  renumber(moved: Int32Array): void {
    for (const [term, list] of this.all()) {
      let kept = 0;
      for (let i = 0; i < list.length; i++) {
        const to = moved[list.slots[i] as number] as number;
        if (to < 0) continue;
        list.slots[kept] = to;
        list.freqs[kept] = list.freqs[i] as number;
        kept++;
      }
      list.length = kept;
      list.countedAt = -1;
      if (kept === 0) this.lists.delete(term);
    }
  }
}
