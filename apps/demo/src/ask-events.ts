import type { Answer, RetrievalExplanation, RetrievalHit, UsageEvent } from '@ragbridge/core-interfaces';
import { TERMINAL_BACKENDS } from '@ragbridge/runtime';

/**
 * What the UI shows per model part: the backend that served it and at which step of its chain.
 * A terminal step (`extractive`, `keyword`, `fused-order`) is no model: it has no `model`, and
 * `terminal` says so (its scores, for `fused-order`, only keep the fused order).
 */
export interface PartServed {
  backend: string;
  /** The model id; absent for a terminal step. */
  model?: string;
  /** True for the step every chain ends in, which runs no model. */
  terminal: boolean;
  fallbackStep: number;
  cacheHit: boolean;
}

const PART_OF_OPERATION: Record<string, 'answer' | 'embedder' | 'reranker'> = { chat: 'answer', embed: 'embedder', rerank: 'reranker' };
const TERMINAL: ReadonlySet<string> = new Set(Object.values(TERMINAL_BACKENDS));

function partServed(event: UsageEvent): PartServed {
  const terminal = TERMINAL.has(event.backend);
  return { backend: event.backend, ...(!terminal && { model: event.modelId }), terminal, fallbackStep: event.fallbackStep, cacheHit: event.cacheHit };
}

/**
 * Summarises a question's usage events: the backend that served each part (the last call of
 * that part), the steps past the first that served (`fallbacks`: whether one was a failure or
 * stood in for a model that is not installed, only the part's chain in `/api/profile` says), cost
 * and cache hits. An answer without a chat call was extractive.
 */
export function servedBy(usage: readonly UsageEvent[]): {
  parts: Record<'answer' | 'embedder' | 'reranker', PartServed | null>;
  fallbacks: string[];
  costUsd: number;
  cacheHits: number;
} {
  const parts: Record<'answer' | 'embedder' | 'reranker', PartServed | null> = { answer: null, embedder: null, reranker: null };
  const fallbacks: string[] = [];
  for (const event of usage) {
    const part = PART_OF_OPERATION[event.operation];
    if (!part) continue;
    const served = partServed(event);
    parts[part] = served;
    if (event.fallbackStep > 0) fallbacks.push(`${part}: served by step ${event.fallbackStep + 1} (${served.model ? `${served.backend} ${served.model}` : served.backend})`);
  }
  parts.answer ??= { backend: TERMINAL_BACKENDS.answer, terminal: true, fallbackStep: 0, cacheHit: false };
  let costUsd = 0;
  let cacheHits = 0;
  for (const event of usage) {
    costUsd += event.costUsd ?? 0;
    if (event.cacheHit) cacheHits++;
  }
  return { parts, fallbacks, costUsd, cacheHits };
}

/**
 * A retrieval hit as the browser sees it: numbered, with document name and where it is, never the
 * file path. `citedBy` says how to point at it: `page` (PDF: `page`, `label`), `section` (HTML,
 * Markdown: `section` is the title, `anchor` the id to jump to) or `document` (text without
 * pages or headings). `section` is also the nearest heading of a PDF passage.
 */
export function sourceView(hit: RetrievalHit, n: number, documentName: (id: string) => string, paged: (id: string) => boolean = () => true): Record<string, unknown> {
  const { chunk } = hit;
  return {
    n,
    docId: chunk.docId,
    doc: documentName(chunk.docId),
    page: chunk.page,
    label: chunk.pageLabel,
    section: chunk.section?.title ?? chunk.sectionPath.slice(-1)[0] ?? null,
    anchor: chunk.section?.anchor ?? null,
    citedBy: citedBy(chunk.section !== undefined, paged(chunk.docId)),
    score: Number(hit.score.toFixed(4)),
    ...(hit.rerankScore !== undefined && { rerankScore: Number(hit.rerankScore.toFixed(4)) }),
    reason: hit.reason,
    ...(hit.explanation && { why: explainView(hit.explanation) }),
    snippet: hit.chunk.text.length > 320 ? `${hit.chunk.text.slice(0, 317)}…` : hit.chunk.text,
  };
}

/** Why a hit ranks where it does: each signal's contribution (largest first) and its keyword and dense ranks. */
function explainView(explanation: RetrievalExplanation): Record<string, unknown> {
  return {
    signals: Object.entries(explanation.signals)
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .map(([signal, contribution]) => ({ signal, contribution: Number(contribution.toFixed(3)) })),
    ...(explanation.keywordRank !== undefined && { keywordRank: explanation.keywordRank }),
    ...(explanation.denseRank !== undefined && { denseRank: explanation.denseRank }),
    ...(explanation.denseScore !== undefined && { denseScore: Number(explanation.denseScore.toFixed(4)) }),
  };
}

function citedBy(hasSection: boolean, paged: boolean): 'page' | 'section' | 'document' {
  if (hasSection) return 'section';
  return paged ? 'page' : 'document';
}

/** The final answer as the browser sees it; citations point at a page, a section or a document like sources do. */
export function answerView(answer: Answer, documentName: (id: string) => string, paged: (id: string) => boolean = () => true): Record<string, unknown> {
  return {
    text: answer.text,
    refused: answer.refused,
    ...(answer.refusalReason && { refusalReason: answer.refusalReason }),
    mode: answer.mode,
    citations: answer.citations.map((c) => ({
      n: c.index,
      docId: c.docId,
      doc: c.docName || documentName(c.docId),
      page: c.page,
      label: c.pageLabel,
      section: c.section?.title ?? null,
      anchor: c.section?.anchor ?? null,
      citedBy: citedBy(c.section !== undefined, paged(c.docId)),
    })),
    invalidCitations: answer.invalidCitations,
    // A generated answer that broke off after it began: the text shown, and why; `text` is then
    // the extractive answer given in its place.
    ...(answer.interrupted && { interrupted: { text: answer.interrupted.partialText, reason: answer.interrupted.reason } }),
  };
}
