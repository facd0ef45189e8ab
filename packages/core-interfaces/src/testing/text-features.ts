import type { ChatMessage } from '../chat-model.js';

const WORD = /[\p{L}\p{N}]+(?:[._'-][\p{L}\p{N}]+)*/gu;

/** Lower-cased word tokens of a text (technical tokens like `mstatus.MIE` stay whole). */
export function wordTokens(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []) as string[];
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * A deterministic embedding from hashed word features, L2-normalized: texts that share words
 * have a high cosine similarity. Texts without words hash their characters. Used by the
 * in-memory embedder and the fake services; it carries no meaning beyond word overlap.
 */
export function hashEmbedding(text: string, dimensions = 384): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = wordTokens(text);
  const features = words.length > 0 ? words : Array.from(text);
  for (const feature of features) {
    const h = fnv1a(feature);
    const index = h % dimensions;
    vector[index] = (vector[index] ?? 0) + ((h >>> 31) === 1 ? -1 : 1);
  }
  const norm = Math.hypot(...vector);
  if (norm === 0) {
    vector[fnv1a(text) % dimensions] = 1;
    return vector;
  }
  return vector.map((v) => v / norm);
}

/**
 * Relevance of `text` to `query` in [0, 1] from word overlap: the share of distinct query words
 * found in the text, so a text containing every query word scores 1.
 */
export function wordOverlapScore(query: string, text: string): number {
  const queryWords = new Set(wordTokens(query));
  if (queryWords.size === 0) return 0;
  const textWords = new Set(wordTokens(text));
  let found = 0;
  for (const w of queryWords) if (textWords.has(w)) found++;
  return found / queryWords.size;
}

/** A numbered source found in a prompt: `[3] some text`. */
export interface PromptSource {
  index: number;
  text: string;
}

/** Finds numbered sources (`[n] text` at the start of a line) in a prompt. */
export function findPromptSources(text: string): PromptSource[] {
  const sources: PromptSource[] = [];
  const pattern = /^\s*\[(\d+)\]\s*(.+(?:\n(?!\s*\[\d+\]).+)*)/gmu;
  for (const match of text.matchAll(pattern)) {
    sources.push({ index: Number(match[1]), text: (match[2] ?? '').trim() });
  }
  return sources;
}

/**
 * A deterministic, grounded reply: picks the numbered source that shares the most words with
 * the last user question and quotes its first sentence with the source number, e.g.
 * `According to [2], "The base ISA has 32 registers."`. Without sources it says it cannot tell.
 */
export function composeGroundedReply(messages: readonly ChatMessage[]): string {
  const all = messages.map((m) => m.content).join('\n');
  const sources = findPromptSources(all);
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const question = lastUser
    .split('\n')
    .filter((line) => !/^\s*\[\d+\]/.test(line))
    .join(' ');
  if (sources.length === 0) return 'I could not find this in the provided documents.';
  let best = sources[0] as PromptSource;
  let bestScore = -1;
  for (const source of sources) {
    const score = wordOverlapScore(question, source.text);
    if (score > bestScore) {
      best = source;
      bestScore = score;
    }
  }
  const sentence = (best.text.match(/^.*?[.!?](?=\s|$)/su)?.[0] ?? best.text).slice(0, 400);
  return `According to [${best.index}], "${sentence}"`;
}
