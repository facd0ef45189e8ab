import { wordTokens } from '@ragbridge/core-interfaces/testing';

/** Token count the fakes report: words plus two special tokens, like a BERT-style tokenizer. */
export function fakeTokenCount(text: string): number {
  return wordTokens(text).length + 2;
}

/** Cuts a text to at most `maxTokens` word tokens (keeps the original spacing up to the cut). */
export function truncateToTokens(text: string, maxTokens: number): string {
  const budget = Math.max(0, maxTokens - 2);
  const pattern = /[\p{L}\p{N}]+(?:[._'-][\p{L}\p{N}]+)*/gu;
  let count = 0;
  for (const match of text.matchAll(pattern)) {
    count++;
    if (count > budget) return text.slice(0, match.index);
  }
  return text;
}

/** Splits a reply into stream deltas of one word (with its trailing space) each. */
export function replyDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/gu) ?? [];
}

/** Cuts a reply to `maxTokens` deltas; reports whether it was cut. */
export function limitReply(text: string, maxTokens: number | undefined): { text: string; truncated: boolean; tokens: number } {
  const deltas = replyDeltas(text);
  if (maxTokens === undefined || deltas.length <= maxTokens) return { text, truncated: false, tokens: deltas.length };
  const kept = deltas.slice(0, Math.max(1, maxTokens));
  return { text: kept.join('').trimEnd(), truncated: true, tokens: kept.length };
}

/** The logistic function. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
