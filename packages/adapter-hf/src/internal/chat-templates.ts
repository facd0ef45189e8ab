import { estimateTokens, type ChatMessage } from '@ragbridge/core-interfaces';

/**
 * The tokens a model family's chat template adds around a conversation, beyond the messages' own
 * text: what a server counts in `prompt_tokens` and a text-only estimate misses (for a one-question
 * Llama 3.1 prompt, about 35 of its 50 tokens).
 */
export interface ChatTemplateOverhead {
  /** Name of the family, e.g. `llama-3`. */
  family: string;
  /** Model ids of the family (matched against the id without its org, case-insensitively). */
  models: RegExp;
  /** Tokens written once: begin-of-text, a preamble the template always writes, the header that opens the reply. */
  perPrompt: number;
  /** Tokens around each user or assistant message: role header and end of turn. */
  perMessage: number;
  /** Tokens around a system message (0 when the template puts it into a turn it writes anyway). */
  perSystemMessage: number;
  /** Tokens of the default system prompt the template writes when the conversation has none. */
  defaultSystem: number;
}

/**
 * One row per template family, first match wins. Measured as (tokens of the rendered prompt) −
 * (tokens of the messages' text) with each family's own tokenizer and public chat template
 * (`bench/chat-template-tokens.ts` prints them); Mistral and DeepSeek are counted by hand from their
 * templates' control tokens. `default` follows OpenAI's published count (3 tokens per message, 3
 * to open the reply).
 */
export const CHAT_TEMPLATE_OVERHEADS: readonly ChatTemplateOverhead[] = [
  // <｜begin▁of▁sentence｜>{system}<｜User｜>…<｜Assistant｜><think>\n (R1 opens its reasoning in the prompt).
  { family: 'deepseek', models: /deepseek/i, perPrompt: 4, perMessage: 1, perSystemMessage: 0, defaultSystem: 0 },
  // Llama 3.1–3.3: a system turn with "Cutting Knowledge Date: December 2023\nToday Date: …" is always written.
  { family: 'llama-3', models: /llama-?3\.\d/i, perPrompt: 30, perMessage: 5, perSystemMessage: 0, defaultSystem: 0 },
  // Llama 3.0: <|begin_of_text|> then <|start_header_id|>{role}<|end_header_id|>\n\n…<|eot_id|> per message.
  { family: 'llama-3.0', models: /llama-?3(?![.\d])/i, perPrompt: 5, perMessage: 5, perSystemMessage: 5, defaultSystem: 0 },
  // Qwen2 / Qwen2.5 (ChatML): "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." when there is no system message.
  { family: 'qwen-2', models: /qwen2(?:\.5)?-/i, perPrompt: 3, perMessage: 5, perSystemMessage: 5, defaultSystem: 21 },
  // ChatML without a default system prompt (Qwen3, QwQ, SmolLM, Hermes): <|im_start|>{role}\n…<|im_end|>\n.
  { family: 'chatml', models: /qwen3|qwq|smollm|hermes/i, perPrompt: 3, perMessage: 5, perSystemMessage: 5, defaultSystem: 0 },
  // <s>[INST] {system}\n\n{user}[/INST] {assistant}</s> ([INST] and [/INST] are control tokens since v0.3).
  { family: 'mistral', models: /mistral|mixtral|ministral|magistral|devstral|codestral/i, perPrompt: 1, perMessage: 2, perSystemMessage: 2, defaultSystem: 0 },
  // <bos><start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n<start_of_turn>model\n
  { family: 'gemma', models: /gemma/i, perPrompt: 4, perMessage: 5, perSystemMessage: 1, defaultSystem: 0 },
  // Harmony: a system message with the knowledge cutoff, date, reasoning level and channels is always written; a system message becomes the developer message.
  { family: 'gpt-oss', models: /gpt-oss/i, perPrompt: 62, perMessage: 5, perSystemMessage: 7, defaultSystem: 0 },
  { family: 'default', models: /(?:)/, perPrompt: 3, perMessage: 3, perSystemMessage: 3, defaultSystem: 0 },
];

/** The template row for a model id (`org/name`, with or without a `:provider` suffix). */
export function chatTemplateOf(modelId: string): ChatTemplateOverhead {
  const name = modelId.replace(/:[^:/]*$/, '').split('/').pop() ?? modelId;
  return CHAT_TEMPLATE_OVERHEADS.find((row) => row.models.test(name)) ?? (CHAT_TEMPLATE_OVERHEADS.at(-1) as ChatTemplateOverhead);
}

/** Estimated prompt tokens of a conversation for a model: the messages' text plus its template's overhead. */
export function estimatePromptTokens(modelId: string, messages: readonly ChatMessage[]): number {
  const template = chatTemplateOf(modelId);
  let tokens = template.perPrompt;
  let hasSystem = false;
  for (const message of messages) {
    const system = message.role === 'system';
    hasSystem ||= system;
    tokens += estimateTokens(message.content) + (system ? template.perSystemMessage : template.perMessage);
  }
  return hasSystem ? tokens : tokens + template.defaultSystem;
}
