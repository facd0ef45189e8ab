import type { ChunkTerms } from '@ragbridge/core-interfaces';

/** A chunk row's length, code density and the counts of some of its terms (heading terms count 1/2). */
export interface RowCounts {
  /** Body terms. */
  readonly length: number;
  /** Share of body terms that are binary or hex codes. */
  readonly density: number;
  /** Counts of the terms asked for (0 or absent when the row lacks one). */
  readonly counts: ReadonlyMap<string, number>;
}

/** Counts the wanted terms of a row. */
export type RowTermCounter = (row: ChunkTerms, wanted: ReadonlySet<string>) => RowCounts;

/** A binary or hex code (`0010011`, `0x7b0`); the first character rules out most terms before the pattern runs. */
export function isCode(term: string): boolean {
  const first = term.charCodeAt(0);
  return (first === 48 || first === 49) && /^(?:[01]{3,}|0x[\da-f]+)$/.test(term);
}

/** Wanted terms by first character and length, so most terms of a row are passed over without reading them. */
type WantedLookup = Map<number, string[]>;

const lookupKey = (first: number, length: number): number => first * 256 + Math.min(length, 255);

function wantedLookup(wanted: Iterable<string>): WantedLookup {
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
 * Adds the wanted terms of the space-separated `terms` to `counts` (each occurrence adds `weight`),
 * reading the text once without splitting it: only terms of a wanted term's first character and
 * length are compared. Returns the number of terms and how many are codes.
 */
function scanTerms(terms: string, lookup: WantedLookup, weight: number, counts: Map<string, number>): { length: number; codes: number } {
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
      for (const term of candidates) if (term.length === end - start && terms.startsWith(term, start)) counts.set(term, (counts.get(term) ?? 0) + weight);
    }
    start = end + 1;
  }
  return { length, codes };
}

/** Counts the wanted terms of a row in one reading (the same counts, length and density as splitting it). */
export function countRowTerms(row: ChunkTerms, wanted: Iterable<string>): RowCounts & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const lookup = wantedLookup(wanted);
  const { length, codes } = scanTerms(row.terms, lookup, 1, counts);
  if (row.headingTerms) scanTerms(row.headingTerms, lookup, 0.5, counts);
  return { length, density: length ? codes / length : 0, counts };
}

interface Entry {
  terms: string;
  headingTerms: string;
  length: number;
  density: number;
  /** Every term asked so far, 0 for those the row lacks. */
  counts: Map<string, number>;
}

/**
 * Rows' term counts kept across questions, by chunk id: a row read again (the same terms) is only
 * scanned for the terms no earlier question asked. At most `maxEntries` rows; then it starts over.
 */
export class RowTermCounts {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 20_000) {}

  readonly count: RowTermCounter = (row, wanted) => {
    let entry = this.entries.get(row.id);
    if (entry && (entry.terms !== row.terms || entry.headingTerms !== row.headingTerms)) entry = undefined;
    if (!entry) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      const counted = countRowTerms(row, wanted);
      for (const term of wanted) if (!counted.counts.has(term)) counted.counts.set(term, 0);
      entry = { terms: row.terms, headingTerms: row.headingTerms, length: counted.length, density: counted.density, counts: counted.counts };
      this.entries.set(row.id, entry);
      return entry;
    }
    const missing: string[] = [];
    for (const term of wanted) if (!entry.counts.has(term)) missing.push(term);
    if (missing.length > 0) {
      const more = countRowTerms(row, missing).counts;
      for (const term of missing) entry.counts.set(term, more.get(term) ?? 0);
    }
    return entry;
  };

  clear(): void {
    this.entries.clear();
  }
}
