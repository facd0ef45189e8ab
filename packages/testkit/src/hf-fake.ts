import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '@ragbridge/core-interfaces';
import { composeGroundedReply, hashEmbedding, wordOverlapScore } from '@ragbridge/core-interfaces/testing';
import { FakeServer, type FakeContext, type FakeRoute, type FakeServerOptions } from './fake-server.js';
import { fakeTokenCount, limitReply, replyDeltas, sigmoid } from './fake-text.js';
import { TRANSPORT_FAULTS, type FaultPresets } from './fault-harness.js';
import { FAKE_REASONING, fakeDeltas, fakeReplyParts, writeFakeChatStream, type FakeHfChatBehaviour } from './hf-fake-chat.js';

/** A model the fake Hugging Face services know. */
export interface FakeHfModel {
  id: string;
  task: 'conversational' | 'feature-extraction' | 'sentence-similarity' | 'text-classification';
  /** Providers serving it. @default ['hf-inference'] */
  providers?: string[];
  /** Embedding size for feature-extraction. @default 384 */
  dimensions?: number;
  /** Feature extraction returns one vector per token (`[[[…]×T]]`) like bart-base. */
  tokenLevel?: boolean;
  /** Context window of a chat model in tokens. @default 32768 */
  contextTokens?: number;
  /** Labels of a text classifier; a single label means a cross-encoder. @default ['LABEL_0'] */
  labels?: string[];
  /** How this chat model's provider answers (finish reasons, reasoning, EOS tokens, usage, stream ends). */
  chat?: FakeHfChatBehaviour;
  /** `false`: the model has no chat template, so chat answers TGI's 422 `Template error: template not found`. @default true */
  chatTemplate?: boolean;
  /**
   * The model starts cold: hf-inference answers 503 `{"error":"Model … is currently loading","estimated_time":…}`
   * until a request with `x-wait-for-model: true` arrives; that one waits `loadMs`, loads the model and is answered.
   */
  cold?: { estimatedTimeS: number; loadMs?: number };
}

/** Options of {@link startFakeHf}. */
export interface FakeHfOptions extends FakeServerOptions {
  /** When set, router and hf-inference routes require `Authorization: Bearer <token>`. */
  token?: string;
  /** Models served. @default {@link DEFAULT_FAKE_HF_MODELS} */
  models?: FakeHfModel[];
  /**
   * Per-million-token prices the router's model listing (`GET /v1/models`) gives, by model and
   * provider; a provider left out is listed without a price. @default {@link FAKE_ROUTER_PRICES}
   */
  routerPrices?: Readonly<Record<string, Readonly<Record<string, { input: number; output: number }>>>>;
}

/** Models the fake serves when none are given. */
export const DEFAULT_FAKE_HF_MODELS: FakeHfModel[] = [
  { id: 'meta-llama/Llama-3.1-8B-Instruct', task: 'conversational', providers: ['together', 'nebius', 'hf-inference'] },
  { id: 'Qwen/Qwen2.5-7B-Instruct', task: 'conversational', providers: ['together', 'hf-inference'] },
  // The built-in hf-spaces / hybrid profiles' chat model (adapter-hf's default), so they run on the fake as shipped.
  { id: 'openai/gpt-oss-20b', task: 'conversational', providers: ['groq', 'together'] },
  { id: 'sentence-transformers/all-MiniLM-L6-v2', task: 'feature-extraction', dimensions: 384 },
  { id: 'BAAI/bge-small-en-v1.5', task: 'feature-extraction', dimensions: 384 },
  { id: 'facebook/bart-base', task: 'feature-extraction', dimensions: 768, tokenLevel: true },
  { id: 'cross-encoder/ms-marco-MiniLM-L6-v2', task: 'text-classification', labels: ['LABEL_0'] },
  { id: 'distilbert/distilbert-base-uncased-finetuned-sst-2-english', task: 'text-classification', labels: ['POSITIVE', 'NEGATIVE'] },
];

/** Prices the fake router lists for the default chat models (made up, in USD per million tokens); nebius lists none. */
export const FAKE_ROUTER_PRICES: Readonly<Record<string, Readonly<Record<string, { input: number; output: number }>>>> = {
  'meta-llama/Llama-3.1-8B-Instruct': { together: { input: 0.18, output: 0.18 } },
  'Qwen/Qwen2.5-7B-Instruct': { together: { input: 0.3, output: 0.3 } },
  'openai/gpt-oss-20b': { groq: { input: 0.1, output: 0.5 }, together: { input: 0.05, output: 0.2 } },
};

/** The provider-side model id the fake's Hub mapping reports. */
export function fakeProviderModelId(id: string, provider: string): string {
  return provider === 'hf-inference' ? id : `${provider}-hosted/${id}`;
}

const ROUTING_POLICIES = new Set(['fastest', 'cheapest', 'preferred']);

/** Hugging Face's real error bodies, per conformance fault kind. */
export function hfFaultPresets(flavor: 'router' | 'hf-inference' = 'router'): FaultPresets {
  return {
    auth: {
      status: 401,
      body: { error: 'Invalid credentials in Authorization header' },
      headers: {
        'www-authenticate': 'Bearer realm="Authentication required", charset="UTF-8"',
        'x-error-message': 'Invalid credentials in Authorization header',
        'x-request-id': 'fake-req-401',
      },
    },
    payment: {
      status: 402,
      body: {
        error:
          'You have depleted your monthly included credits. Purchase pre-paid credits to continue using Inference Providers. Alternatively, subscribe to PRO to get 20x more included usage.',
      },
    },
    'not-found':
      flavor === 'router'
        ? {
            status: 400,
            body: { error: { message: "The requested model 'x' does not exist.", type: 'invalid_request_error', param: 'model', code: 'model_not_found' } },
          }
        : { status: 404, body: { error: 'Model x does not exist' } },
    'bad-input': {
      status: 422,
      body: {
        error: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 32768. Given: 40000 `inputs` tokens and 512 `max_new_tokens`',
        error_type: 'validation',
      },
    },
    unsupported: { status: 422, body: { error: 'Template error: template not found', error_type: 'template_error' } },
    'rate-limit': { status: 429, body: { error: 'Too Many Requests' } },
    'rate-limit-retry-after': { status: 429, body: { error: 'Too Many Requests' }, headers: { 'retry-after': '7' } },
    loading: { status: 503, body: { error: 'Model org/m is currently loading', estimated_time: 20.0 } },
    'server-error': { status: 500, body: { error: 'Internal Server Error' } },
    ...TRANSPORT_FAULTS,
  };
}

interface ChatBody {
  model?: string;
  messages?: ChatMessage[];
  max_tokens?: number;
  stop?: string[] | string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

/**
 * Starts a fake of the Hugging Face router, the Hub's provider-mapping lookup and the
 * hf-inference routes (chat, feature-extraction, sentence-similarity, text-classification), with
 * the real JSON and SSE wire formats. Point `@huggingface/inference` at it with a custom `fetch`
 * that rewrites `https://router.huggingface.co` and `https://huggingface.co` to its URL, or with
 * `endpointUrl`.
 */
export async function startFakeHf(options: FakeHfOptions = {}): Promise<FakeServer> {
  const models = new Map((options.models ?? DEFAULT_FAKE_HF_MODELS).map((m) => [m.id, m]));

  const authorized = (ctx: FakeContext): boolean => {
    if (!options.token) return true;
    if (ctx.request.headers.authorization === `Bearer ${options.token}`) return true;
    ctx.json(
      401,
      { error: 'Invalid credentials in Authorization header' },
      {
        'content-type': 'application/json; charset=utf-8',
        'www-authenticate': 'Bearer realm="Authentication required", charset="UTF-8"',
        'x-error-message': 'Invalid credentials in Authorization header',
        'x-request-id': randomUUID(),
      },
    );
    return false;
  };

  const loaded = new Set<string>();
  /** Answers 503 loading for a cold model (true: answered), or loads it when the request waits for it. */
  const stillLoading = async (ctx: FakeContext, model: FakeHfModel | undefined): Promise<boolean> => {
    if (!model?.cold || loaded.has(model.id)) return false;
    if (ctx.request.headers['x-wait-for-model'] !== 'true') {
      ctx.json(503, { error: `Model ${model.id} is currently loading`, estimated_time: model.cold.estimatedTimeS });
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, model.cold?.loadMs ?? 0));
    loaded.add(model.id);
    return false;
  };

  const modelNotFound = (ctx: FakeContext, id: string): void =>
    ctx.json(400, {
      error: { message: `The requested model '${id}' does not exist.`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    });

  const chat = async (ctx: FakeContext, modelId: string, provider: string, echoModel: string): Promise<void> => {
    const body = (ctx.request.json ?? {}) as ChatBody;
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      ctx.json(422, { error: 'Input validation error: `messages` must not be empty', error_type: 'validation' });
      return;
    }
    const model = models.get(modelId);
    if (await stillLoading(ctx, model)) return;
    if (model?.chatTemplate === false) {
      ctx.json(422, { error: 'Template error: template not found', error_type: 'template_error' });
      return;
    }
    const promptTokens = body.messages.reduce((n, m) => n + fakeTokenCount(String(m.content ?? '')), 0);
    const limit = model?.contextTokens ?? 32768;
    const maxTokens = body.max_tokens ?? 512;
    if (promptTokens + maxTokens > limit) {
      ctx.json(422, {
        error: `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${limit}. Given: ${promptTokens} \`inputs\` tokens and ${maxTokens} \`max_new_tokens\``,
        error_type: 'validation',
      });
      return;
    }
    let text = composeGroundedReply(body.messages);
    const stops = typeof body.stop === 'string' ? [body.stop] : (body.stop ?? []);
    for (const stop of stops) {
      const at = text.indexOf(stop);
      if (stop && at >= 0) text = text.slice(0, at);
    }
    const behaviour = model?.chat;
    const limited = limitReply(text, body.max_tokens);
    const finishReason = limited.truncated ? (behaviour?.lengthReason ?? 'length') : (behaviour?.stopReason ?? 'stop');
    const reply = fakeReplyParts(limited.text, behaviour);
    const reasoningTokens = behaviour?.reasoning ? replyDeltas(FAKE_REASONING).length : 0;
    const id = `chatcmpl-${randomUUID().slice(0, 8)}`;
    const created = Math.floor(Date.now() / 1000);
    const requestId = randomUUID();
    const completionTokens = limited.tokens + reasoningTokens;
    const usage = behaviour?.noUsage
      ? null
      : {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          ...(reasoningTokens > 0 && { completion_tokens_details: { reasoning_tokens: reasoningTokens } }),
        };
    const headers = {
      'x-inference-provider': provider,
      'x-inference-id': randomUUID(),
      'x-request-id': requestId,
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '599',
      'x-ratelimit-limit-tokens': '400000',
      'x-ratelimit-remaining-tokens': String(400000 - promptTokens - completionTokens),
    };
    const field = reply.reasoningField ? { [reply.reasoningField.name]: reply.reasoningField.text } : {};
    if (!body.stream) {
      ctx.json(
        200,
        {
          id,
          object: 'chat.completion',
          created,
          model: echoModel,
          system_fingerprint: null,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.content, ...field }, logprobs: null, finish_reason: finishReason }],
          usage,
        },
        headers,
      );
      return;
    }
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
      JSON.stringify({ id, object: 'chat.completion.chunk', created, model: echoModel, system_fingerprint: null, choices, ...extra });
    const deltas = fakeDeltas(reply.content, behaviour, replyDeltas);
    const events: string[] = [chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }])];
    if (reply.reasoningField) {
      for (const piece of fakeDeltas(reply.reasoningField.text, behaviour, replyDeltas)) {
        events.push(chunk([{ index: 0, delta: { content: null, [reply.reasoningField.name]: piece }, logprobs: null, finish_reason: null }]));
      }
    }
    deltas.forEach((delta, i) => {
      const last = i === deltas.length - 1;
      events.push(chunk([{ index: 0, delta: { content: delta }, logprobs: null, finish_reason: last ? finishReason : null }], behaviour?.noUsage ? { usage: null } : {}));
    });
    if (body.stream_options?.include_usage && usage && !behaviour?.cutLastEvent) events.push(chunk([], { usage }));
    await writeFakeChatStream(ctx, events, behaviour, headers);
  };

  /** `org/m`, `org/m:together` or `org/m:fastest` → model and provider. */
  const routed = (raw: string): { id: string; provider: string | undefined; policy: boolean } => {
    const colon = raw.lastIndexOf(':');
    if (colon <= 0) return { id: raw, provider: undefined, policy: false };
    const suffix = raw.slice(colon + 1);
    return { id: raw.slice(0, colon), provider: ROUTING_POLICIES.has(suffix) ? undefined : suffix, policy: ROUTING_POLICIES.has(suffix) };
  };

  const embed = (ctx: FakeContext, model: FakeHfModel, inputs: unknown, normalize: boolean | undefined): void => {
    const texts = Array.isArray(inputs) ? inputs : [inputs];
    if (texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
      ctx.json(400, { error: 'Input should be a valid string or a list of strings' });
      return;
    }
    const dims = model.dimensions ?? 384;
    const vectorOf = (text: string): number[] => {
      const v = hashEmbedding(text, dims);
      if (normalize === false) return v.map((x) => x * 3);
      return v;
    };
    const rows = (texts as string[]).map((text) => {
      if (!model.tokenLevel) return vectorOf(text);
      const tokens = text.split(/\s+/).filter(Boolean);
      return [vectorOf('<s>'), ...tokens.map(vectorOf), vectorOf('</s>')];
    });
    ctx.json(200, Array.isArray(inputs) ? rows : model.tokenLevel ? rows : rows[0]);
  };

  const hfInferenceModel = (ctx: FakeContext, id: string): FakeHfModel | undefined => {
    const model = models.get(id);
    if (!model || !(model.providers ?? ['hf-inference']).includes('hf-inference')) {
      ctx.json(404, { error: `Model ${id} does not exist` });
      return undefined;
    }
    return model;
  };

  const routes: FakeRoute[] = [
    {
      name: 'hub.model-info',
      method: 'GET',
      pattern: '/api/models/*id',
      handle(ctx) {
        const model = models.get(ctx.params.id ?? '');
        if (!model) {
          ctx.json(404, { error: 'Repository not found' });
          return;
        }
        const task = model.task === 'sentence-similarity' ? 'sentence-similarity' : model.task;
        ctx.json(200, {
          _id: randomUUID().replace(/-/g, '').slice(0, 24),
          id: model.id,
          inferenceProviderMapping: (model.providers ?? ['hf-inference']).map((provider) => ({
            provider,
            hfModelId: model.id,
            providerId: fakeProviderModelId(model.id, provider),
            status: 'live',
            task,
          })),
        });
      },
    },
    {
      name: 'router.chat',
      method: 'POST',
      pattern: '/v1/chat/completions',
      async handle(ctx) {
        if (!authorized(ctx)) return;
        const raw = String((ctx.request.json as ChatBody | undefined)?.model ?? '');
        const { id, provider } = routed(raw);
        const model = models.get(id);
        if (!model || model.task !== 'conversational') return modelNotFound(ctx, raw);
        const providers = model.providers ?? ['hf-inference'];
        if (provider && !providers.includes(provider)) {
          ctx.json(400, {
            error: { message: `The requested model '${id}' is not supported by provider '${provider}'.`, type: 'invalid_request_error', param: 'model', code: 'model_not_supported' },
          });
          return;
        }
        await chat(ctx, id, provider ?? providers[0] ?? 'hf-inference', raw);
      },
    },
    {
      // The router's model listing, as the Hugging Face inference playground reads it
      // (huggingface/inference-playground src/lib/state/pricing.svelte.ts): chat models with
      // their providers, each with status, context length and, when known, per-million-token prices.
      name: 'router.models',
      method: 'GET',
      pattern: '/v1/models',
      handle(ctx) {
        const prices = options.routerPrices ?? FAKE_ROUTER_PRICES;
        const data = [...models.values()]
          .filter((m) => m.task === 'conversational')
          .map((m) => ({
            id: m.id,
            object: 'model',
            created: 1_735_689_600,
            owned_by: m.id.split('/')[0] ?? m.id,
            architecture: { input_modalities: ['text'], output_modalities: ['text'] },
            providers: (m.providers ?? ['hf-inference']).map((provider) => ({
              provider,
              status: 'live',
              context_length: m.contextTokens ?? 32768,
              ...(prices[m.id]?.[provider] && { pricing: prices[m.id]?.[provider] }),
              supports_tools: false,
              supports_structured_output: false,
            })),
          }));
        ctx.json(200, { object: 'list', data });
      },
    },
    {
      name: 'hf-inference.chat',
      method: 'POST',
      pattern: '/hf-inference/models/*id/v1/chat/completions',
      async handle(ctx) {
        if (!authorized(ctx)) return;
        const model = hfInferenceModel(ctx, ctx.params.id ?? '');
        if (!model) return;
        await chat(ctx, model.id, 'hf-inference', model.id);
      },
    },
    {
      name: 'hf-inference.pipeline',
      method: 'POST',
      pattern: '/hf-inference/models/*id/pipeline/:task',
      async handle(ctx) {
        if (!authorized(ctx)) return;
        const model = hfInferenceModel(ctx, ctx.params.id ?? '');
        if (!model || (await stillLoading(ctx, model))) return;
        const body = (ctx.request.json ?? {}) as { inputs?: unknown; normalize?: boolean };
        if (ctx.params.task === 'feature-extraction') {
          if (model.task !== 'feature-extraction') {
            ctx.json(400, { error: `Model ${model.id} is not a feature-extraction model` });
            return;
          }
          embed(ctx, model, body.inputs, body.normalize);
          return;
        }
        if (ctx.params.task === 'sentence-similarity') {
          const inputs = body.inputs as { source_sentence?: unknown; sentences?: unknown } | undefined;
          if (typeof inputs?.source_sentence !== 'string' || !Array.isArray(inputs.sentences)) {
            ctx.json(400, { error: 'inputs must have source_sentence and sentences' });
            return;
          }
          const dims = model.dimensions ?? 384;
          const source = hashEmbedding(inputs.source_sentence, dims);
          ctx.json(
            200,
            inputs.sentences.map((s) => hashEmbedding(String(s), dims).reduce((acc, x, i) => acc + x * (source[i] ?? 0), 0)),
          );
          return;
        }
        ctx.json(400, { error: `Task ${ctx.params.task ?? ''} is not supported by the fake` });
      },
    },
    {
      name: 'hf-inference.classification',
      method: 'POST',
      pattern: '/hf-inference/models/*id',
      async handle(ctx) {
        if (!authorized(ctx)) return;
        const model = hfInferenceModel(ctx, ctx.params.id ?? '');
        if (!model || (await stillLoading(ctx, model))) return;
        if (model.task !== 'text-classification') {
          ctx.json(400, { error: `Model ${model.id} is not a text-classification model` });
          return;
        }
        const inputs = (ctx.request.json as { inputs?: unknown } | undefined)?.inputs;
        const list = Array.isArray(inputs) ? inputs : [inputs];
        const labels = model.labels ?? ['LABEL_0'];
        const classify = (input: unknown): Array<{ label: string; score: number }> => {
          const pair = typeof input === 'object' && input !== null ? (input as { text?: unknown; text_pair?: unknown }) : undefined;
          const text = pair ? String(pair.text ?? '') : String(input ?? '');
          if (labels.length === 1) {
            // A cross-encoder: one relevance logit per (query, passage) pair, sigmoid-activated.
            const score = sigmoid(wordOverlapScore(text, String(pair?.text_pair ?? '')) * 8 - 4);
            return [{ label: labels[0] ?? 'LABEL_0', score }];
          }
          const positive = sigmoid(hashEmbedding(text, 8)[0] ?? 0);
          return [
            { label: labels[0] ?? 'POSITIVE', score: positive },
            { label: labels[1] ?? 'NEGATIVE', score: 1 - positive },
          ].sort((a, b) => b.score - a.score);
        };
        if (list.length === 0 || list.some((i) => i === undefined || i === '')) {
          ctx.json(400, { error: 'inputs must not be empty' });
          return;
        }
        ctx.json(200, list.map(classify));
      },
    },
    {
      name: 'router.provider-chat',
      method: 'POST',
      pattern: '/:provider/v1/chat/completions',
      async handle(ctx) {
        if (!authorized(ctx)) return;
        const provider = ctx.params.provider ?? '';
        const providerId = String((ctx.request.json as ChatBody | undefined)?.model ?? '');
        const model = [...models.values()].find(
          (m) => m.task === 'conversational' && (m.providers ?? []).includes(provider) && fakeProviderModelId(m.id, provider) === providerId,
        );
        if (!model) return modelNotFound(ctx, providerId);
        await chat(ctx, model.id, provider, providerId);
      },
    },
  ];
  return new FakeServer('hf', routes, options).listen();
}

/**
 * A `fetch` that sends the Hugging Face client's requests (to `https://router.huggingface.co` and
 * `https://huggingface.co`) to the fake instead. Pass it as the client's `fetch` option.
 */
export function fetchToFake(fakeUrl: string, log?: Array<{ url: string; init: RequestInit | undefined }>): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    log?.push({ url, init });
    const rewritten = url.replace(/^https:\/\/(router\.)?huggingface\.co/, fakeUrl);
    return fetch(rewritten, init);
  };
}
