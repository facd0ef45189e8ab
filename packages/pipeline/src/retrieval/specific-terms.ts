import { analyze, TOKEN } from './text-analysis.js';

/** A word of a question that names something: an identifier, a product, a version, a proper name. */
export interface SpecificTerm {
  /** The word as the question writes it. */
  token: string;
  /**
   * Its identifying index forms: the whole analyzed word, and for a compound (`os.path`,
   * `60601-1-2`, but not a snake_case identifier) also its longest part. The word occurs in a text
   * when either does.
   */
  forms: string[];
}

/** Whether a word, by its shape alone, names something rather than describes. */
function namesSomething(token: string, startsSentence: boolean): boolean {
  // "32-bit", "5-year": a number with a unit word describes.
  if (/^\d+(?:[.,]\d+)?-\p{Ll}+$/u.test(token)) return false;
  return (
    (/\p{L}/u.test(token) && /\p{N}/u.test(token)) || // sha256sum, IPv6, X11, v1.7
    /\p{Ll}\p{Lu}/u.test(token) || // JavaScript, PostgreSQL
    /\p{L}[._]\p{L}/u.test(token) || // os.path, config.MAX_SIZE
    /^\p{Lu}{2,}/u.test(token) || // ISO, HTTP
    /\d[-.]\d+[-.]\d/.test(token) || // 60601-1-2
    (!startsSentence && /^\p{Lu}/u.test(token)) // Kubernetes, Linux mid-sentence
  );
}

/**
 * The question's specific terms, judged by the shape of each word (no word lists): identifiers
 * with digits or joiners, mixed-case and all-caps names, and capitalised words that do not start
 * a sentence. Words the analyzer drops (stopwords such as "I" or "May") are not terms.
 */
export function specificTerms(question: string): SpecificTerm[] {
  const out: SpecificTerm[] = [];
  const seen = new Set<string>();
  let previousEnd = 0;
  let first = true;
  const normalized = question.normalize('NFKC');
  for (const match of normalized.matchAll(TOKEN)) {
    const token = match[0];
    const between = normalized.slice(previousEnd, match.index);
    const startsSentence = first || /[.?!:;]\s*["'“‘(]?\s*$/u.test(between);
    first = false;
    previousEnd = (match.index ?? 0) + token.length;
    if (!namesSomething(token, startsSentence)) continue;
    const analyzed = analyze(token);
    const whole = analyzed[0];
    if (whole === undefined) continue;
    // The parts as written (not the joined form the analyzer adds for hyphenated words). A
    // snake_case identifier (`checkpoint_timeout`) is written whole wherever it occurs: its parts
    // are ordinary words that do not stand for it.
    const parts = token.includes('_') || token.split(/[.'-]+/).length < 2 ? [] : token.split(/[.'-]+/).flatMap((part) => analyze(part));
    const longest = parts.reduce<string | undefined>((best, t) => (best === undefined || t.length > best.length ? t : best), undefined);
    const forms = longest && longest !== whole ? [whole, longest] : [whole];
    if (seen.has(whole)) continue;
    seen.add(whole);
    out.push({ token, forms });
  }
  return out;
}
