// tsvector and tsquery values written as literals (`'funct3':1,4 'mstatus.mie':2B`), so PostgreSQL
// stores the pipeline's analysed terms as they are: the literal input functions (`::tsvector`,
// `::tsquery`) never run the text-search parser, which would split `mstatus.mie` or `v1.7` and
// lower-case or stem words. `to_tsvector`/`to_tsquery` are never used.

/** PostgreSQL's limits on a tsvector (src/include/tsearch/ts_type.h). */
const MAX_LEXEME_BYTES = 2047;
const MAX_POSITION = 16383;
const MAX_POSITIONS_PER_LEXEME = 255;

/** Splits space-separated index terms (empty strings left out). */
export function splitTerms(terms: string): string[] {
  return terms.split(' ').filter((term) => term.length > 0);
}

/**
 * True when a term can be a lexeme. Longer terms (over 2,047 UTF-8 bytes) cannot, and are left out of
 * the tsvector and of the term statistics alike, so both always count the same terms.
 */
export function indexableTerm(term: string): boolean {
  return term.length > 0 && Buffer.byteLength(term, 'utf8') <= MAX_LEXEME_BYTES;
}

/** A lexeme quoted for a tsvector or tsquery literal: quotes doubled, backslashes escaped. */
export function quoteLexeme(term: string): string {
  return `'${term.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The distinct indexable terms of space-separated index terms. */
export function distinctTerms(...texts: string[]): Set<string> {
  const out = new Set<string>();
  for (const text of texts) for (const term of splitTerms(text)) if (indexableTerm(term)) out.add(term);
  return out;
}

/** What a chunk contributes to the keyword index. */
export interface ChunkIndexEntry {
  /** The tsvector literal. */
  tsvector: string;
  /** Its distinct lexemes (body and heading), each counted once in the term statistics. */
  lexemes: string[];
  /** Number of body terms (BM25 length), every term counted. */
  termCount: number;
}

/**
 * A chunk's tsvector literal: body terms at positions 1…n (weight D, the default), heading terms
 * after them with weight B. Positions after the body's say which occurrences are headings, so the
 * ranking counts a heading occurrence at half an occurrence in the text (as the pipeline's own index
 * does). Positions past 16,383 are written as 16,383 and at most 255 are kept per term, PostgreSQL's
 * own limits.
 */
export function chunkIndexEntry(terms: string, headingTerms: string): ChunkIndexEntry {
  const positions = new Map<string, string[]>();
  const add = (term: string, position: number, weight: string): void => {
    if (!indexableTerm(term)) return;
    let list = positions.get(term);
    if (!list) positions.set(term, (list = []));
    if (list.length < MAX_POSITIONS_PER_LEXEME) list.push(`${Math.min(position, MAX_POSITION)}${weight}`);
  };
  const body = splitTerms(terms);
  body.forEach((term, i) => add(term, i + 1, ''));
  splitTerms(headingTerms).forEach((term, i) => add(term, body.length + i + 1, 'B'));
  return {
    tsvector: [...positions].map(([term, list]) => `${quoteLexeme(term)}:${list.join(',')}`).join(' '),
    lexemes: [...positions.keys()],
    termCount: body.length,
  };
}

/** A tsquery literal matching any of `terms` exactly (`'a' | 'b'`); undefined when there are none. */
export function anyTermQuery(terms: Iterable<string>): string | undefined {
  const quoted = [...terms].filter(indexableTerm).map(quoteLexeme);
  return quoted.length > 0 ? quoted.join(' | ') : undefined;
}
