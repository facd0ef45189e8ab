import type { HfWarmUpListener, HfChatStepOptions, HfEmbedderStepOptions, HfRerankerStepOptions, TeiEmbedderStepOptions, TeiRerankerStepOptions } from '@ragbridge/adapter-hf';
import type { OllamaChatStepOptions, OllamaEmbedderStepOptions } from '@ragbridge/adapter-ollama';
import type {
  TransformersChatStepOptions,
  TransformersEmbedderStepOptions,
  TransformersModelControls,
  TransformersRerankerStepOptions,
} from '@ragbridge/adapter-transformersjs';
import type { AnswerStepConfig, EmbedderStepConfig, RerankerStepConfig } from '@ragbridge/config-profiles';
import type { ChatModelV1, EmbedderV1, RerankerV1 } from '@ragbridge/core-interfaces';
import { defined } from './defined.js';
import type { LoadedAdapters } from './adapter-modules.js';
import { notInstalledReason, type AdapterPackage } from './adapter-packages.js';

/** A step names an adapter package that is not installed. */
export class AdapterNotInstalledError extends Error {
  constructor(readonly packageName: AdapterPackage) {
    super(notInstalledReason(packageName));
    this.name = 'AdapterNotInstalledError';
  }
}

/** The imported adapter package `name`; throws {@link AdapterNotInstalledError} when it is not installed. */
function adapterPackage<N extends AdapterPackage>(ctx: AdapterContext, name: N): NonNullable<LoadedAdapters[N]> {
  const module = ctx.adapters[name];
  if (!module) throw new AdapterNotInstalledError(name);
  return module as NonNullable<LoadedAdapters[N]>;
}
const hf = (ctx: AdapterContext) => adapterPackage(ctx, '@ragbridge/adapter-hf');
const ollama = (ctx: AdapterContext) => adapterPackage(ctx, '@ragbridge/adapter-ollama');
const transformers = (ctx: AdapterContext) => adapterPackage(ctx, '@ragbridge/adapter-transformersjs');

/** What the adapters need from the runtime besides a step's own settings. */
export interface AdapterContext {
  /** Secrets and OLLAMA_HOST / HF_HUB_OFFLINE come from here, read when a call needs them. */
  env: Readonly<Record<string, string | undefined>>;
  /** True when the caller passed `env` (so OLLAMA_HOST must not be read from process.env). */
  envGiven: boolean;
  fetch: typeof fetch | undefined;
  baseDir: string;
  /** The configuration says no network: Transformers.js must not download. */
  offline: boolean;
  /** The adapter packages imported for the configuration's steps (a missing one is absent). */
  adapters: LoadedAdapters;
  /** Receives background warm-up events of Hugging Face steps; absent: steps warm up only when their options say. */
  onWarmUp?: HfWarmUpListener;
}

/** An adapter built for one chain step. */
export interface BuiltAdapter<M> {
  model: M;
  /** Stops a Transformers.js worker; absent for HTTP adapters. */
  dispose?: () => Promise<void>;
  /**
   * Loads a local model that may not be downloaded (Transformers.js with downloads off); rejects
   * with ModelNotFoundError at once when its files are not on disk. Absent for steps that are
   * always worth calling.
   */
  prepare?: (abortSignal?: AbortSignal) => Promise<unknown>;
}

/** The adapter of a Transformers.js step: its worker to dispose, and with downloads off, its model to look for first. */
function transformersAdapter<M>(model: M & TransformersModelControls, source: { allowRemoteModels?: boolean }): BuiltAdapter<M> {
  return {
    model,
    dispose: () => model.dispose(),
    ...(source.allowRemoteModels === false && { prepare: (abortSignal?: AbortSignal) => model.load(abortSignal ? { abortSignal } : {}) }),
  };
}

/** Where an Ollama step connects (chat and embedder steps share it). */
function ollamaConnection(step: { endpoint?: string | undefined }, ctx: AdapterContext) {
  return defined({ host: ollamaHost(step.endpoint, ctx), fetch: ctx.fetch });
}

/**
 * The Hugging Face token of a step: its own `token`, else HF_TOKEN, read at each call (never
 * logged). With a `routerUrl` elsewhere than Hugging Face (a gateway), HF_TOKEN is not sent there:
 * the adapter cannot tell a token function's source, so the rule is applied here.
 */
function hfToken(stepToken: string | undefined, ctx: AdapterContext, routerUrl?: string): () => string | undefined {
  if (routerUrl !== undefined) return endpointToken(stepToken, routerUrl, ctx);
  return () => stepToken ?? ctx.env.HF_TOKEN;
}

/** Background warm-up of a cold Hugging Face model, when the runtime turns it on and the step does not say. */
function warmUp(options: { warmUp?: boolean | undefined } | undefined, ctx: AdapterContext): { warmUp?: boolean; onWarmUp?: HfWarmUpListener } {
  return ctx.onWarmUp && options?.warmUp === undefined ? { warmUp: true, onWarmUp: ctx.onWarmUp } : {};
}

/** The Hub base URL from the runtime's environment when the caller passed one (else the adapter reads HF_ENDPOINT itself). */
function hubUrl(options: { hubUrl?: string | undefined } | undefined, ctx: AdapterContext): { hubUrl?: string } {
  const url = options?.hubUrl ?? (ctx.envGiven ? ctx.env.HF_ENDPOINT : undefined);
  return url === undefined ? {} : { hubUrl: url };
}

/** HF_TOKEN goes to Hugging Face hosts only (as the adapter does); other endpoints get the step's token or none. */
function endpointToken(stepToken: string | undefined, endpoint: string, ctx: AdapterContext): () => string | undefined {
  const huggingFaceHost = /(^|\.)huggingface\.(cloud|co)$/i.test(new URL(endpoint).hostname);
  return () => stepToken ?? (huggingFaceHost ? ctx.env.HF_TOKEN : undefined);
}

function ollamaHost(endpoint: string | undefined, ctx: AdapterContext): string | undefined {
  return endpoint ?? ctx.env.OLLAMA_HOST ?? (ctx.envGiven ? 'http://127.0.0.1:11434' : undefined);
}

/**
 * A Transformers.js step's options (validated against the adapter's schema, model folders already
 * absolute) with downloads off when the configuration or HF_HUB_OFFLINE says offline.
 */
function transformersOptions<O extends { allowRemoteModels?: boolean | undefined }>(options: O | undefined, ctx: AdapterContext): O {
  const noDownloads = ctx.offline || ctx.env.HF_HUB_OFFLINE === '1';
  const given = options ?? ({} as O);
  return given.allowRemoteModels === undefined && noDownloads ? { ...given, allowRemoteModels: false } : given;
}

/*
 * Each step's `options` were checked against its adapter's step-options schema when the runtime
 * started (validateStepOptions), so they are passed on as they are; the step's own fields (model,
 * endpoint, secrets) and the runtime's (fetch, environment) are added here.
 */

/** The adapter of one answer step (not `extractive`, which the runtime answers itself). */
export function createAnswerAdapter(step: Exclude<AnswerStepConfig, { backend: 'extractive' }>, ctx: AdapterContext): BuiltAdapter<ChatModelV1> {
  switch (step.backend) {
    case 'hf-inference': {
      const options = step.options as HfChatStepOptions | undefined;
      const token = step.endpoint ? endpointToken(step.token, step.endpoint, ctx) : hfToken(step.token, ctx, options?.routerUrl);
      return { model: hf(ctx).createHfChatModel({ ...options, ...hubUrl(options, ctx), ...warmUp(options, ctx), model: step.model, ...defined({ endpointUrl: step.endpoint, fetch: ctx.fetch }), token }) };
    }
    case 'ollama': {
      const options = step.options as OllamaChatStepOptions | undefined;
      return { model: ollama(ctx).createOllamaChatModel({ ...options, model: step.model, ...ollamaConnection(step, ctx) }) };
    }
    case 'transformersjs': {
      const options = transformersOptions(step.options as TransformersChatStepOptions | undefined, ctx);
      return transformersAdapter(transformers(ctx).createTransformersChatModel({ ...options, model: step.model }), options);
    }
  }
}

/** The adapter of one embedder step. */
export function createEmbedderAdapter(step: EmbedderStepConfig, ctx: AdapterContext): BuiltAdapter<EmbedderV1> {
  switch (step.backend) {
    case 'hf-tei': {
      const options = step.options as TeiEmbedderStepOptions | undefined;
      return { model: hf(ctx).createTeiEmbedder({ ...options, baseUrl: step.endpoint, model: step.model, ...defined({ apiKey: step.apiKey, fetch: ctx.fetch }) }) };
    }
    case 'hf-inference': {
      const options = step.options as HfEmbedderStepOptions | undefined;
      const token = hfToken(step.token, ctx, options?.routerUrl);
      return { model: hf(ctx).createHfEmbedder({ ...options, ...hubUrl(options, ctx), ...warmUp(options, ctx), model: step.model, token, ...defined({ fetch: ctx.fetch }) }) };
    }
    case 'ollama': {
      const options = step.options as OllamaEmbedderStepOptions | undefined;
      return { model: ollama(ctx).createOllamaEmbedder({ ...options, model: step.model, ...ollamaConnection(step, ctx) }) };
    }
    case 'transformersjs': {
      const options = transformersOptions(step.options as TransformersEmbedderStepOptions | undefined, ctx);
      return transformersAdapter(transformers(ctx).createTransformersEmbedder({ ...options, model: step.model }), options);
    }
  }
}

/** The adapter of one reranker step. */
export function createRerankerAdapter(step: RerankerStepConfig, ctx: AdapterContext): BuiltAdapter<RerankerV1> {
  switch (step.backend) {
    case 'hf-tei': {
      const options = step.options as TeiRerankerStepOptions | undefined;
      return { model: hf(ctx).createTeiReranker({ ...options, baseUrl: step.endpoint, model: step.model, ...defined({ apiKey: step.apiKey, fetch: ctx.fetch }) }) };
    }
    case 'hf-inference': {
      const options = step.options as HfRerankerStepOptions | undefined;
      const token = hfToken(step.token, ctx, options?.routerUrl);
      return { model: hf(ctx).createHfReranker({ ...options, ...hubUrl(options, ctx), ...warmUp(options, ctx), model: step.model, token, ...defined({ fetch: ctx.fetch }) }) };
    }
    case 'transformersjs': {
      const options = transformersOptions(step.options as TransformersRerankerStepOptions | undefined, ctx);
      return transformersAdapter(transformers(ctx).createTransformersReranker({ ...options, model: step.model }), options);
    }
  }
}
