import type { FinishReason } from '@ragbridge/core-interfaces';

/**
 * How the providers behind the Inference Providers router, TGI and vLLM spell why generation
 * stopped, mapped to the contract's {@link FinishReason}. Keys are lower-case. A reason not listed
 * here is `other`.
 */
export const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  // The model ended its answer (OpenAI-compatible servers, TGI, Anthropic-style and Gemini-style names).
  stop: 'stop',
  eos: 'stop',
  eos_token: 'stop',
  stop_sequence: 'stop',
  end_turn: 'stop',
  end: 'stop',
  // The token limit cut the answer.
  length: 'length',
  max_tokens: 'length',
  max_length: 'length',
  max_new_tokens: 'length',
  model_length: 'length',
  // A moderation layer withheld or cut the answer.
  content_filter: 'content-filter',
  safety: 'content-filter',
  recitation: 'content-filter',
  prohibited_content: 'content-filter',
  blocklist: 'content-filter',
  // The model asked for a tool instead of answering (ragbridge sends no tools).
  tool_calls: 'other',
  tool_use: 'other',
  function_call: 'other',
};

/** The contract's finish reason for what a provider sent; `undefined` when it sent none. */
export function finishReasonOf(reason: string | null | undefined): FinishReason | undefined {
  if (reason === null || reason === undefined || reason.trim() === '') return undefined;
  const key = reason.trim().toLowerCase();
  return Object.hasOwn(FINISH_REASONS, key) ? (FINISH_REASONS[key] as FinishReason) : 'other';
}
