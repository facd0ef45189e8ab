import { createUsageEvent, estimateTokens, InvalidResponseError, type CallTarget, type ChatCallOptions, type UsageEvent } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { estimatePromptTokens } from './chat-templates.js';
import { HF_BACKEND } from '../constants.js';
import type { ResponseMeta } from './http.js';

/** A string field that some providers fill with other shapes: anything but a string counts as absent. */
const optionalText = z.string().nullish().catch(undefined);

const usageSchema = z
  .object({
    prompt_tokens: z.number().nullish(),
    completion_tokens: z.number().nullish(),
    completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish().catch(undefined),
  })
  .nullish();

/** The reasoning fields providers add next to `content` (DeepSeek and vLLM `reasoning_content`, others `reasoning`). */
const reasoningFields = { reasoning_content: optionalText, reasoning: optionalText };

/** An OpenAI-style chat completion, as far as ragbridge reads it. */
export const chatOutputSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullish(), ...reasoningFields }), finish_reason: z.string().nullish() }))
    .min(1),
  usage: usageSchema,
});

/** One chunk of an OpenAI-style chat completion stream. */
export const chatChunkSchema = z.object({
  choices: z
    .array(z.object({ delta: z.object({ content: z.string().nullish(), ...reasoningFields }).nullish(), finish_reason: z.string().nullish() }))
    .nullish(),
  usage: usageSchema,
});

/** The usage a server reported, if any. */
export type ReportedUsage = z.infer<typeof usageSchema>;

/** The reasoning a message or delta carries in a field of its own. */
export function reasoningField(part: { reasoning_content?: string | null | undefined; reasoning?: string | null | undefined } | null | undefined): string {
  return part?.reasoning_content ?? part?.reasoning ?? '';
}

/** What a chat usage event is built from. */
export interface ChatUsageInput {
  call: ChatCallOptions;
  /** Model id as configured (usage and errors). */
  modelId: string;
  /** Model id whose chat template the server applies (for the estimate), e.g. the default model behind a router. */
  templateModel: string;
  text: string;
  reasoning: string;
  reported: ReportedUsage;
  meta: ResponseMeta | undefined;
  knownProvider: string | undefined;
  streamed: boolean;
  startedAt: number;
  began: number;
}

/**
 * The usage event of one chat call: the server's counts, else estimates (marked as such) that
 * include the chat template's overhead for the model's family and the reasoning's tokens.
 */
export function chatUsage(input: ChatUsageInput): UsageEvent {
  const { reported, meta } = input;
  const inputTokens = reported?.prompt_tokens ?? undefined;
  const outputTokens = reported?.completion_tokens ?? undefined;
  const output = outputTokens ?? estimateTokens(input.text) + estimateTokens(input.reasoning);
  const reasoningTokens =
    reported?.completion_tokens_details?.reasoning_tokens ?? (input.reasoning ? Math.min(estimateTokens(input.reasoning), output) : undefined);
  const provider = meta?.headers.get('x-inference-provider') ?? input.knownProvider;
  const requestId = meta?.headers.get('x-request-id') ?? undefined;
  return createUsageEvent({
    backend: HF_BACKEND,
    modelId: input.modelId,
    operation: 'chat',
    streamed: input.streamed,
    inputTokens: inputTokens ?? estimatePromptTokens(input.templateModel, input.call.messages),
    outputTokens: output,
    tokensEstimated: inputTokens === undefined || outputTokens === undefined,
    items: 1,
    startedAt: input.startedAt,
    latencyMs: Math.round(performance.now() - input.began),
    ...(reasoningTokens !== undefined && { reasoningTokens }),
    ...(provider && { provider }),
    ...(requestId && { requestId }),
  });
}

/** A body that is not an OpenAI-style chat completion (or chunk). */
export function invalidChatResponse(target: CallTarget, value: unknown, error: z.ZodError, meta: ResponseMeta | undefined, what: string): InvalidResponseError {
  return new InvalidResponseError({
    ...target,
    ...(meta && { endpoint: meta.url }),
    responseBody: JSON.stringify(value)?.slice(0, 2000) ?? '',
    message: `The ${what} is not an OpenAI-style chat completion (${z.prettifyError(error).replace(/\n+/g, '; ')})`,
  });
}
