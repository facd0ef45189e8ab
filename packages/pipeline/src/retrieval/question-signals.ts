// What a question's wording says about where its answer is, beyond its terms.

/**
 * The few general English words the question-shape signals read. Configuration
 * (`retrieval.vocabulary` in a profile) replaces them, e.g. for documents in another language.
 */
export interface QuestionVocabulary {
  /**
   * Words (or phrases) by which a question asks for a code (an encoding, a bit pattern): such a
   * question prefers chunks dense in binary and hex tokens. Matched as word prefixes, case-insensitively.
   */
  codeWords: readonly string[];
  /** Verbs that make a sentence define its subject ("X is …", "X stands for …"). */
  definingVerbs: readonly string[];
}

/** The default vocabulary: general English, nothing of any corpus. */
export const DEFAULT_QUESTION_VOCABULARY: QuestionVocabulary = {
  codeWords: ['encod', 'opcode', 'binary', 'hex', 'bit pattern', 'machine code'],
  definingVerbs: ['is', 'are', 'describes', 'describe', 'holds', 'hold', 'contains', 'contain', 'means', 'mean', 'refers to', 'refer to', 'specifies', 'specify', 'defines', 'define', 'indicates', 'indicate', 'stands for', 'stand for', 'denotes', 'denote'],
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const phrase = (words: string): string => words.trim().split(/\s+/).map(escapeRegExp).join(String.raw`\s+`);

// Patterns are matched against the lower-cased question instead of with the `i` flag: a
// case-insensitive Unicode pattern costs a fresh process milliseconds to compile (case folding of
// whole character classes), and each is compiled once per vocabulary.
const codePatterns = new WeakMap<readonly string[], RegExp>();

/** Whether a question asks for a code (an encoding, a bit pattern), by its wording. */
export function asksForCode(question: string, vocabulary: QuestionVocabulary = DEFAULT_QUESTION_VOCABULARY): boolean {
  const words = vocabulary.codeWords;
  if (words.length === 0) return false;
  let pattern = codePatterns.get(words);
  if (!pattern) codePatterns.set(words, (pattern = new RegExp(String.raw`\b(?:${words.map((w) => phrase(w.toLowerCase())).join('|')})`, 'u')));
  return pattern.test(question.normalize('NFKC').toLowerCase());
}

/**
 * For a definition question ("what is X", "what are Xs", "what does X mean/hold", "define X",
 * where X is one technical term), a pattern matching a sentence that defines X: X (with at most
 * one more word, as in "X register") at the start of a line, sentence or bullet, followed by a
 * colon, an opening parenthesis or a defining verb. Otherwise undefined.
 */
export function definitionPattern(question: string, vocabulary: QuestionVocabulary = DEFAULT_QUESTION_VOCABULARY): RegExp | undefined {
  // Lower-cased: the term's case does not matter (the pattern built from it ignores case).
  const q = question.normalize('NFKC').toLowerCase();
  if (!/\b(?:what|define)\b/.test(q)) return undefined;
  const match =
    /\bwhat\s+(?:is|are)\s+(?:an?\s+|the\s+)?([\p{L}\p{N}][\p{L}\p{N}._-]*)\s*(?:\?|,|;|\band\b|$)/u.exec(q) ??
    /\bwhat\s+(?:does|do)\s+(?:an?\s+|the\s+)?([\p{L}\p{N}][\p{L}\p{N}._-]*)\s+(?:mean|hold|contain|stand\s+for|describe|represent)\b/u.exec(q) ??
    /\bdefine\s+(?:an?\s+|the\s+)?([\p{L}\p{N}][\p{L}\p{N}._-]*)\s*(?:\?|,|;|\band\b|$)/u.exec(q);
  const term = match?.[1]?.replace(/[._-]+$/, '');
  // A common word ("what is it", "what is this") is no term to define.
  if (!term || term.length < 2 || /^(?:it|this|that|there|they|these|those|used|needed|required|done|the|an?)$/i.test(term)) return undefined;
  // A plural asks about the singular too ("what are PMAs" — "A PMA is …").
  const singular = /[^s]s$/i.test(term) && term.length > 3 ? term.slice(0, -1) : term;
  const verbs = vocabulary.definingVerbs.map(phrase).join('|');
  const defining = verbs ? String.raw`(?::|\(|\s+(?:${verbs})\b)` : String.raw`(?::|\()`;
  const oneMoreWord = String.raw`(?:\s+[\p{L}][\p{L}\p{N}-]*)?`;
  return new RegExp(String.raw`(?:^|[\n•;]|[.!?]\s)\s*(?:(?:the|an?)\s+)?${escapeRegExp(singular)}(?:e?s)?${oneMoreWord}${defining}`, 'iu');
}
