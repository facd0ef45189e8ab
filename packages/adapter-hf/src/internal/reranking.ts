import {
  BadInputError,
  createUsageEvent,
  estimateTokens,
  throwIfAborted,
  type CallTarget,
  type RerankOptions,
  type RerankResult,
} from '@ragbridge/core-interfaces';
import { cutToJsonBytes, jsonBytes } from './batching.js';
import { fitTexts, rejectEmptyTexts, runBatchedCall, type BatchAnswer, type CallPlan } from './embedding.js';

/** What every reranker backend supplies. */
export interface RerankerCore {
  target: CallTarget;
  prepare: (signal: AbortSignal | undefined) => Promise<CallPlan>;
  truncate: boolean;
  keep: 'start' | 'end';
  concurrency: number;
  /** Scores one request's texts against the query; returns scores in [0, 1], in input order. */
  send: (query: string, texts: string[], plan: CallPlan, signal: AbortSignal) => Promise<BatchAnswer<number>>;
  /** Bytes each text's entry adds beyond its JSON string (e.g. a repeated query). @default 0 */
  pairOverhead?: (query: string) => number;
  usageProvider?: string;
}

/** Implements {@link RerankerV1.rerank} on top of {@link RerankerCore}. */
export async function rerankTexts(core: RerankerCore, call: RerankOptions): Promise<RerankResult> {
  const { target } = core;
  throwIfAborted(call.abortSignal, target);
  const startedAt = Date.now();
  const began = performance.now();
  if (typeof call.query !== 'string' || call.query.trim().length === 0) {
    throw new BadInputError({ ...target, message: 'The query is empty; a reranker needs something to score the texts against' });
  }
  const usage = (inputTokens: number, tokensEstimated: boolean, requestId?: string): RerankResult['usage'] =>
    createUsageEvent({
      backend: target.backend,
      modelId: target.modelId ?? '',
      operation: 'rerank',
      inputTokens,
      tokensEstimated,
      items: call.texts.length,
      startedAt,
      latencyMs: Math.round(performance.now() - began),
      ...(core.usageProvider && { provider: core.usageProvider }),
      ...(requestId && { requestId }),
    });
  if (call.texts.length === 0) return { scores: [], usage: usage(0, false) };
  rejectEmptyTexts(call.texts, target);
  const plan = await core.prepare(call.abortSignal);
  const free = plan.maxBytes - jsonBytes(plan.baseBody) - 2;
  // The query travels with every request: keep it to half of a request at most.
  let query = call.query;
  if (jsonBytes(query) > free / 2) {
    if (!core.truncate) throw new BadInputError({ ...target, message: `The query is larger than half a request (${jsonBytes(query)} bytes of JSON)` });
    query = cutToJsonBytes(query, Math.floor(free / 2), core.keep);
  }
  const queryPlan: CallPlan = { ...plan, baseBody: { ...plan.baseBody, query } };
  const overheadBytes = core.pairOverhead?.(query) ?? 0;
  const room = plan.maxBytes - jsonBytes(queryPlan.baseBody) - overheadBytes - 2;
  const texts = fitTexts(call.texts, room, core.truncate, core.keep, target);
  const queryTokens = estimateTokens(query);
  const result = await runBatchedCall({
    target,
    texts,
    plan: queryPlan,
    tokensOf: (text) => queryTokens + estimateTokens(text),
    overheadBytes,
    concurrency: core.concurrency,
    signal: call.abortSignal,
    send: (batch, signal) => core.send(query, batch, queryPlan, signal),
  });
  const scores = result.values.map((s) => Math.min(1, Math.max(0, s)));
  const cap = plan.maxInputTokens ?? Infinity;
  const estimate = texts.reduce((n, t) => n + Math.min(queryTokens + estimateTokens(t), cap), 0);
  return { scores, usage: usage(result.serverTokens ?? estimate, result.serverTokens === undefined, result.requestId) };
}
