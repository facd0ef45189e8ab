import { chatCompletion, chatCompletionStream, type InferenceProviderOrPolicy } from '@huggingface/inference';
import {
  BadInputError,
  createUsageEvent,
  estimateTokens,
  InvalidResponseError,
  redactUrl,
  throwIfAborted,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatResult,
  type ChatStreamPart,
  type FinishReason,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { HF_BACKEND, HF_HINTS } from './constants.js';
import { capturingFetch, errorFromHfClient, resolveFetch, type ResponseMeta } from './internal/http.js';
import { hfClientOptions, httpUrlSchema, parseOptions, secretSchema } from './internal/options.js';
import { readSecret, requireHfToken } from './internal/secrets.js';

/**
 * The chat model used when `model` is not given: OpenAI's open-weight gpt-oss-20b (Apache-2.0,
 * not gated, 131k context), served by many Inference Providers at a few cents per million tokens.
 * See the README for the reasoning.
 */
export const DEFAULT_HF_CHAT_MODEL = 'openai/gpt-oss-20b';

const ROUTING_POLICIES = new Set(['fastest', 'cheapest', 'preferred']);

const hfChatModelOptionsSchema = z.strictObject({
  /**
   * Model id on the Hub. A `:provider` suffix (`org/m:together`) or a policy (`:fastest`,
   * `:cheapest`) is resolved by the router. @default {@link DEFAULT_HF_CHAT_MODEL}
   */
  model: z.string().min(1).optional(),
  /** Send through this provider (`together`, `groq`, `hf-inference`, …) instead of the router's choice. */
  provider: z.string().min(1).optional(),
  /** URL of an Inference Endpoint or a TGI / OpenAI-compatible server; replaces the router. */
  endpointUrl: httpUrlSchema.optional(),
  ...hfClientOptions,
  /**
   * Hugging Face token (or, with an explicit provider, that provider's key), or a function
   * returning one; read at call time. @default process.env.HF_TOKEN (for an `endpointUrl`, only
   * when it is a Hugging Face host such as `*.endpoints.huggingface.cloud`)
   */
  token: secretSchema.optional(),
  /** `reasoning_effort` for reasoning models such as gpt-oss (`low` answers faster and cheaper). Not sent when unset. */
  reasoningEffort: z.enum(['none', 'minimal', 'low', 'medium', 'high']).optional(),
});

/**
 * The options a configuration step of {@link createHfChatModel} may set (`models.answer.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `endpointUrl`, `token` and `fetch`, which the step's own fields and the runtime
 * supply. The runtime checks each step's `options` against it.
 */
export const hfChatStepOptionsSchema = hfChatModelOptionsSchema.omit({ model: true, endpointUrl: true, token: true, fetch: true });

/** Options of an `hf-inference` answer step in configuration. */
export type HfChatStepOptions = z.input<typeof hfChatStepOptionsSchema>;

/** Options of {@link createHfChatModel}. */
export type HfChatModelOptions = z.input<typeof hfChatModelOptionsSchema>;

const usageSchema = z
  .object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() })
  .nullish();

const chatOutputSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() }))
    .min(1),
  usage: usageSchema,
});

const chatChunkSchema = z.object({
  choices: z
    .array(z.object({ delta: z.object({ content: z.string().nullish() }).nullish(), finish_reason: z.string().nullish() }))
    .nullish(),
  usage: usageSchema,
});

type ReportedUsage = z.infer<typeof usageSchema>;

function finishReasonOf(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
    case 'eos_token':
    case 'stop_sequence':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

/**
 * A {@link ChatModelV1} on Hugging Face Inference Providers (the router's OpenAI-compatible chat
 * completions), an explicit provider, or an Inference Endpoint / TGI server (`endpointUrl`),
 * through `@huggingface/inference` with its 503 retry loop off: retries belong to the
 * resilience layer.
 */
export function createHfChatModel(options: HfChatModelOptions = {}): ChatModelV1 {
  const configuredModel = options?.model;
  const modelId = configuredModel ?? (options?.endpointUrl ? redactUrl(options.endpointUrl) : DEFAULT_HF_CHAT_MODEL);
  const target = { backend: HF_BACKEND, modelId };
  const parsed = parseOptions(hfChatModelOptionsSchema, options, target);
  const suffix = /:([^:/]+)$/.exec(configuredModel ?? '')?.[1];
  if (parsed.endpointUrl && parsed.provider) {
    throw new BadInputError({ ...target, message: 'Options `endpointUrl` and `provider` exclude each other', hint: 'Use endpointUrl for a dedicated server, provider for Inference Providers.' });
  }
  if (parsed.provider && suffix) {
    throw new BadInputError({ ...target, message: `The model "${modelId}" already names a provider or policy (":${suffix}") and \`provider\` is set`, hint: 'Use one of them.' });
  }
  const scope = { target, hints: HF_HINTS };
  const baseFetch = resolveFetch(parsed.fetch);
  const knownProvider = parsed.provider ?? (suffix && !ROUTING_POLICIES.has(suffix) ? suffix : undefined);
  const model = parsed.endpointUrl ? parsed.model : (parsed.model ?? DEFAULT_HF_CHAT_MODEL);
  // HF_TOKEN goes only to Hugging Face hosts (Inference Endpoints); a self-hosted TGI gets `token` or nothing.
  const endpointEnvToken = parsed.endpointUrl && /(^|\.)huggingface\.(cloud|co)$/i.test(new URL(parsed.endpointUrl).hostname) ? 'HF_TOKEN' : undefined;

  const prepare = async (call: ChatCallOptions): Promise<string | undefined> => {
    throwIfAborted(call.abortSignal, target);
    if (!Array.isArray(call.messages) || call.messages.length === 0) {
      throw new BadInputError({ ...target, message: 'A chat call needs at least one message' });
    }
    return parsed.endpointUrl ? readSecret(parsed.token, endpointEnvToken) : requireHfToken(parsed.token, target);
  };

  const args = (call: ChatCallOptions, token: string | undefined) => ({
    ...(model && { model }),
    ...(parsed.provider && { provider: parsed.provider as InferenceProviderOrPolicy }),
    ...(parsed.endpointUrl && { endpointUrl: parsed.endpointUrl }),
    ...(token && { accessToken: token }),
    messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(call.maxTokens !== undefined && { max_tokens: call.maxTokens }),
    ...(call.temperature !== undefined && { temperature: call.temperature }),
    ...(call.stop && call.stop.length > 0 && { stop: call.stop }),
    ...(call.seed !== undefined && { seed: call.seed }),
    ...(parsed.reasoningEffort && { reasoning_effort: parsed.reasoningEffort }),
  });

  const clientOptions = (signal: AbortSignal | undefined, onSuccess: (meta: ResponseMeta) => void) => ({
    fetch: capturingFetch(baseFetch, scope, parsed.headers, onSuccess),
    retry_on_error: false,
    ...(signal && { signal }),
    ...(parsed.billTo && { billTo: parsed.billTo }),
  });

  const usageOf = (
    call: ChatCallOptions,
    text: string,
    reported: ReportedUsage,
    meta: ResponseMeta | undefined,
    streamed: boolean,
    startedAt: number,
    began: number,
  ): UsageEvent => {
    const input = reported?.prompt_tokens ?? undefined;
    const output = reported?.completion_tokens ?? undefined;
    const provider = meta?.headers.get('x-inference-provider') ?? knownProvider;
    const requestId = meta?.headers.get('x-request-id') ?? undefined;
    return createUsageEvent({
      backend: HF_BACKEND,
      modelId,
      operation: 'chat',
      streamed,
      inputTokens: input ?? call.messages.reduce((n, m) => n + estimateTokens(m.content), 0),
      outputTokens: output ?? estimateTokens(text),
      tokensEstimated: input === undefined || output === undefined,
      items: 1,
      startedAt,
      latencyMs: Math.round(performance.now() - began),
      ...(provider && { provider }),
      ...(requestId && { requestId }),
    });
  };

  const invalid = (value: unknown, error: z.ZodError, meta: ResponseMeta | undefined, what: string): InvalidResponseError =>
    new InvalidResponseError({
      ...target,
      ...(meta && { endpoint: meta.url }),
      responseBody: JSON.stringify(value)?.slice(0, 2000) ?? '',
      message: `The ${what} is not an OpenAI-style chat completion (${z.prettifyError(error).replace(/\n+/g, '; ')})`,
    });

  async function generate(call: ChatCallOptions): Promise<ChatResult> {
    const token = await prepare(call);
    const startedAt = Date.now();
    const began = performance.now();
    let meta: ResponseMeta | undefined;
    let output: unknown;
    try {
      output = await chatCompletion(args(call, token), clientOptions(call.abortSignal, (m) => (meta = m)));
    } catch (error) {
      throw errorFromHfClient(error, scope, call.abortSignal);
    }
    const parsedOutput = chatOutputSchema.safeParse(output);
    if (!parsedOutput.success) throw invalid(output, parsedOutput.error, meta, 'response');
    const choice = parsedOutput.data.choices[0];
    const text = choice?.message.content ?? '';
    return {
      text,
      finishReason: finishReasonOf(choice?.finish_reason),
      usage: usageOf(call, text, parsedOutput.data.usage, meta, false, startedAt, began),
    };
  }

  async function* stream(call: ChatCallOptions): AsyncGenerator<ChatStreamPart> {
    const token = await prepare(call);
    const startedAt = Date.now();
    const began = performance.now();
    // Our own controller ends the HTTP response when the consumer stops early.
    const controller = new AbortController();
    const signal = call.abortSignal ? AbortSignal.any([call.abortSignal, controller.signal]) : controller.signal;
    let meta: ResponseMeta | undefined;
    const chunks = chatCompletionStream(
      { ...args(call, token), stream_options: { include_usage: true } },
      clientOptions(signal, (m) => (meta = m)),
    );
    let text = '';
    let finishReason: FinishReason | undefined;
    let reported: ReportedUsage;
    let completed = false;
    try {
      while (true) {
        let next: IteratorResult<unknown>;
        try {
          next = await chunks.next();
        } catch (error) {
          throw errorFromHfClient(error, scope, call.abortSignal);
        }
        // The client may hand over chunks it had already buffered: nothing after an abort.
        throwIfAborted(call.abortSignal, target);
        if (next.done) break;
        const chunk = chatChunkSchema.safeParse(next.value);
        if (!chunk.success) throw invalid(next.value, chunk.error, meta, 'stream chunk');
        if (chunk.data.usage) reported = chunk.data.usage;
        const choice = chunk.data.choices?.[0];
        if (choice?.finish_reason) finishReason = finishReasonOf(choice.finish_reason);
        const delta = choice?.delta?.content;
        if (delta) {
          text += delta;
          yield { type: 'text-delta', delta };
        }
      }
      completed = true;
      yield { type: 'finish', finishReason: finishReason ?? 'other', usage: usageOf(call, text, reported, meta, true, startedAt, began) };
    } finally {
      if (!completed) {
        controller.abort(new DOMException('The stream was closed by its consumer', 'AbortError'));
        await chunks.return(undefined).catch(() => undefined);
      }
    }
  }

  return {
    specificationVersion: 'v1',
    backend: HF_BACKEND,
    modelId,
    generate,
    stream,
  };
}
