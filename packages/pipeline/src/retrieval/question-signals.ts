// What a question's wording says about where its answer is, beyond its terms.

const DEFINING = String.raw`(?::|\(|\s+(?:is|are|describes?|holds?|contains?|means?|refers? to|specifies|specify|defines?|indicates?|stands? for|denotes?)\b)`;

/**
 * For a definition question ("what is X", "what are Xs", "what does X mean/hold", "define X",
 * where X is one technical term), a pattern matching a sentence that defines X; otherwise undefined.
 */
export function definitionPattern(question: string): RegExp | undefined {
  const q = question.normalize('NFKC');
  const match =
    /\bwhat\s+(?:is|are)\s+(?:an?\s+|the\s+)?([\p{L}\p{N}][\p{L}\p{N}._-]*)\s*(?:\?|,|;|\band\b|$)/iu.exec(q) ??
    /\bwhat\s+(?:does|do)\s+(?:an?\s+|the\s+)?([\p{L}\p{N}][\p{L}\p{N}._-]*)\s+(?:mean|hold|contain|stand\s+for|describe|represent)\b/iu.exec(q) ??
    /\bdefine\s+(?:an?\s+|the\s+)?([\p{L}\p{N}][\p{L}\p{N}._-]*)\s*(?:\?|,|;|\band\b|$)/iu.exec(q);
  const term = match?.[1]?.replace(/[._-]+$/, '');
  // A common word ("what is it", "what is this") is no term to define.
  if (!term || term.length < 2 || /^(?:it|this|that|there|they|these|those|used|needed|required|done|the|an?)$/i.test(term)) return undefined;
  // A plural asks about the singular too ("what are PMAs" — "A PMA is …").
  const singular = /[^s]s$/i.test(term) && term.length > 3 ? term.slice(0, -1) : term;
  const escaped = singular.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const noun = String.raw`(?:\s+(?:register|field|bits?|instruction|csr|flag|mode|extension|value|setting))?`;
  return new RegExp(String.raw`(?:^|[\n•;]|[.!?]\s)\s*(?:(?:the|an?)\s+)?${escaped}(?:e?s)?${noun}${DEFINING}`, 'iu');
}
