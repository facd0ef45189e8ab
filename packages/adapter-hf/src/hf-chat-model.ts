import { chatCompletion, chatCompletionStream, type InferenceProviderOrPolicy } from '@huggingface/inference';
import {
  BadInputError,
  redactUrl,
  throwIfAborted,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatResult,
  type ChatStreamPart,
} from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { HF_BACKEND, HF_HINTS } from './constants.js';
import { finishReasonOf } from './internal/chat-finish-reasons.js';
import { splitReply } from './internal/chat-reply.js';
import { estimatePromptTokens } from './internal/chat-templates.js';
import { readChatStream } from './internal/chat-stream.js';
import { chatOutputSchema, chatUsage, invalidChatResponse, reasoningField, type ReportedUsage } from './internal/chat-wire.js';
import { HF_ROUTER_URL, isHuggingFaceUrl, resolveHfHosts, type HfHosts } from './internal/hf-hosts.js';
import { capturingFetch, errorFromHfClient, resolveFetch, type ResponseMeta } from './internal/http.js';
import { hfClientOptions, httpUrlSchema, NOT_STEP_OPTIONS, parseOptions, secretSchema } from './internal/options.js';
import { readHfToken, type HfToken } from './internal/secrets.js';
import { watchSseEnd } from './internal/sse-end.js';
import { WAIT_FOR_MODEL_HEADER, warmUpIfLoading } from './internal/warm-up.js';

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
   * returning one; read at call time. @default process.env.HF_TOKEN (sent to Hugging Face hosts
   * only: for an `endpointUrl` or `routerUrl` elsewhere, pass `token`)
   */
  token: secretSchema.optional(),
  /** `reasoning_effort` for reasoning models such as gpt-oss (`low` answers faster and cheaper). Not sent when unset. */
  reasoningEffort: z.enum(['none', 'minimal', 'low', 'medium', 'high']).optional(),
});

/**
 * The options a configuration step of {@link createHfChatModel} may set (`models.answer.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `endpointUrl`, `token`, `fetch` and `onWarmUp`,
 * which the step's own fields and the runtime supply. The runtime checks each step's `options` against it.
 */
export const hfChatStepOptionsSchema = hfChatModelOptionsSchema.omit({ ...NOT_STEP_OPTIONS, endpointUrl: true });

/** Options of an `hf-inference` answer step in configuration. */
export type HfChatStepOptions = z.input<typeof hfChatStepOptionsSchema>;

/** Options of {@link createHfChatModel}. */
export type HfChatModelOptions = z.input<typeof hfChatModelOptionsSchema>;

type ParsedOptions = z.output<typeof hfChatModelOptionsSchema>;

/** What one call needs, read when it is made. */
interface CallSetup {
  token: HfToken;
  hosts: HfHosts;
  /** The server the call goes to: `endpointUrl`, `{routerUrl}/v1` for a router elsewhere, or undefined for Hugging Face's router. */
  endpoint: string | undefined;
}

const WARM_UP_CALL: ChatCallOptions = { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 1 };

function checkRouting(parsed: ParsedOptions, target: { backend: string; modelId: string }, suffix: string | undefined): void {
  if (parsed.endpointUrl && parsed.provider) {
    throw new BadInputError({ ...target, message: 'Options `endpointUrl` and `provider` exclude each other', hint: 'Use endpointUrl for a dedicated server, provider for Inference Providers.' });
  }
  if (parsed.endpointUrl && parsed.routerUrl) {
    throw new BadInputError({ ...target, message: 'Options `endpointUrl` and `routerUrl` exclude each other', hint: 'endpointUrl replaces the router; give one of them.' });
  }
  if (parsed.provider && suffix) {
    throw new BadInputError({ ...target, message: `The model "${target.modelId}" already names a provider or policy (":${suffix}") and \`provider\` is set`, hint: 'Use one of them.' });
  }
}

/**
 * A {@link ChatModelV1} on Hugging Face Inference Providers (the router's OpenAI-compatible chat
 * completions), an explicit provider, or an Inference Endpoint / TGI server (`endpointUrl`),
 * through `@huggingface/inference` with its 503 retry loop off: retries belong to the
 * resilience layer. Reasoning (`<think>` blocks, `reasoning_content`) is kept out of the answer
 * text, end-of-sequence tokens are removed, and a stream cut before the model finished fails.
 */
export function createHfChatModel(options: HfChatModelOptions = {}): ChatModelV1 {
  const configuredModel = options?.model;
  const modelId = configuredModel ?? (options?.endpointUrl ? redactUrl(options.endpointUrl) : DEFAULT_HF_CHAT_MODEL);
  const target = { backend: HF_BACKEND, modelId };
  const parsed = parseOptions(hfChatModelOptionsSchema, options, target);
  const suffix = /:([^:/]+)$/.exec(configuredModel ?? '')?.[1];
  checkRouting(parsed, target, suffix);
  const scope = { target, hints: HF_HINTS };
  const baseFetch = resolveFetch(parsed.fetch);
  const knownProvider = parsed.provider ?? (suffix && !ROUTING_POLICIES.has(suffix) ? suffix : undefined);
  const model = parsed.endpointUrl ? parsed.model : (parsed.model ?? DEFAULT_HF_CHAT_MODEL);
  // The chat template the server applies is the model's; behind an endpoint without a model name, unknown.
  const templateModel = model ?? modelId;

  const setup = async (call: ChatCallOptions): Promise<CallSetup> => {
    throwIfAborted(call.abortSignal, target);
    if (!Array.isArray(call.messages) || call.messages.length === 0) {
      throw new BadInputError({ ...target, message: 'A chat call needs at least one message' });
    }
    const hosts = resolveHfHosts(parsed);
    // A router elsewhere is called like an endpoint: the client's auto-router wants an hf_ token and Hugging Face's URL.
    const endpoint = parsed.endpointUrl ?? (hosts.router !== HF_ROUTER_URL && !parsed.provider ? `${hosts.router}/v1` : undefined);
    const token = await readHfToken(parsed.token, target, endpoint === undefined && isHuggingFaceUrl(hosts.router));
    return { token, hosts, endpoint };
  };

  const args = (call: ChatCallOptions, s: CallSetup) => ({
    ...(model && { model }),
    ...(parsed.provider && { provider: parsed.provider as InferenceProviderOrPolicy }),
    ...(s.endpoint && { endpointUrl: s.endpoint }),
    ...(s.token.value && { accessToken: s.token.value }),
    messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(call.maxTokens !== undefined && { max_tokens: call.maxTokens }),
    ...(call.temperature !== undefined && { temperature: call.temperature }),
    ...(call.stop && call.stop.length > 0 && { stop: call.stop }),
    ...(call.seed !== undefined && { seed: call.seed }),
    ...(parsed.reasoningEffort && { reasoning_effort: parsed.reasoningEffort }),
  });

  const clientOptions = (s: CallSetup, signal: AbortSignal | undefined, onSuccess?: (meta: ResponseMeta) => void, fetchVia = baseFetch, wait = false) => ({
    fetch: capturingFetch(fetchVia, scope, {
      headers: wait ? { ...parsed.headers, ...WAIT_FOR_MODEL_HEADER } : parsed.headers,
      hosts: s.hosts,
      environmentToken: s.token.fromEnvironment ? s.token.value : undefined,
      onSuccess,
    }),
    retry_on_error: false,
    ...(signal && { signal }),
    ...(parsed.billTo && { billTo: parsed.billTo }),
  });

  /** Maps a failure; a cold model (503 loading) gets a background warm-up when `warmUp` is on. */
  const failure = (error: unknown, s: CallSetup, signal: AbortSignal | undefined): unknown => {
    const mapped = errorFromHfClient(error, scope, signal);
    const endpoint = s.endpoint ?? `${s.hosts.router}${parsed.provider ? `/${parsed.provider}` : ''}`;
    const size = { operation: 'chat' as const, inputTokens: estimatePromptTokens(templateModel, WARM_UP_CALL.messages), outputTokens: 1, provider: knownProvider };
    warmUpIfLoading(mapped, parsed, { ...target, endpoint }, size, (warm) => chatCompletion(args(WARM_UP_CALL, s), clientOptions(s, warm, undefined, baseFetch, true)));
    return mapped;
  };

  const usage = (call: ChatCallOptions, text: string, reasoning: string, reported: ReportedUsage, meta: ResponseMeta | undefined, streamed: boolean, startedAt: number, began: number) =>
    chatUsage({ call, modelId, templateModel, text, reasoning, reported, meta, knownProvider, streamed, startedAt, began });

  async function generate(call: ChatCallOptions): Promise<ChatResult> {
    const s = await setup(call);
    const startedAt = Date.now();
    const began = performance.now();
    let meta: ResponseMeta | undefined;
    let output: unknown;
    try {
      output = await chatCompletion(args(call, s), clientOptions(s, call.abortSignal, (m) => (meta = m)));
    } catch (error) {
      throw failure(error, s, call.abortSignal);
    }
    const parsedOutput = chatOutputSchema.safeParse(output);
    if (!parsedOutput.success) throw invalidChatResponse(target, output, parsedOutput.error, meta, 'response');
    const choice = parsedOutput.data.choices[0];
    const reply = splitReply(templateModel, choice?.message.content ?? '', reasoningField(choice?.message));
    return {
      text: reply.text,
      finishReason: finishReasonOf(choice?.finish_reason) ?? 'other',
      usage: usage(call, reply.text, reply.reasoning, parsedOutput.data.usage, meta, false, startedAt, began),
      ...(reply.reasoning && { reasoning: reply.reasoning }),
    };
  }

  async function* stream(call: ChatCallOptions): AsyncGenerator<ChatStreamPart> {
    const s = await setup(call);
    const startedAt = Date.now();
    const began = performance.now();
    // Our own controller ends the HTTP response when the consumer stops early.
    const controller = new AbortController();
    const signal = call.abortSignal ? AbortSignal.any([call.abortSignal, controller.signal]) : controller.signal;
    let meta: ResponseMeta | undefined;
    const end = watchSseEnd(baseFetch);
    const chunks = chatCompletionStream({ ...args(call, s), stream_options: { include_usage: true } }, clientOptions(s, signal, (m) => (meta = m), end.fetch));
    let completed = false;
    try {
      yield* readChatStream({
        target,
        templateModel,
        chunks,
        abortSignal: call.abortSignal,
        mapError: (error) => failure(error, s, call.abortSignal),
        terminated: () => end.terminated,
        meta: () => meta,
        usage: (text, reasoning, reported) => usage(call, text, reasoning, reported, meta, true, startedAt, began),
      });
      completed = true;
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
