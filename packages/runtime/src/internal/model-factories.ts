import type { TransformersModelControls } from '@ragbridge/adapter-transformersjs';
import type { AnswerStepConfig, EmbedderStepConfig, RerankerStepConfig } from '@ragbridge/config-profiles';
import type { ChatModelV1, EmbedderV1, RerankerV1 } from '@ragbridge/core-interfaces';
import { isAbsolute, resolve } from 'node:path';
import { defined } from './defined.js';
import { notInstalledReason, type AdapterModules, type AdapterPackage } from './adapter-modules.js';

/** A step names an adapter package that is not installed. */
export class AdapterNotInstalledError extends Error {
  constructor(readonly packageName: AdapterPackage) {
    super(notInstalledReason(packageName));
    this.name = 'AdapterNotInstalledError';
  }
}

/** The imported adapter package `name`; throws {@link AdapterNotInstalledError} when it is not installed. */
function adapterPackage<N extends AdapterPackage>(ctx: AdapterContext, name: N): NonNullable<AdapterModules[N]> {
  const module = ctx.adapters[name];
  if (!module) throw new AdapterNotInstalledError(name);
  return module as NonNullable<AdapterModules[N]>;
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
  adapters: AdapterModules;
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

type HostedEmbedderOptions = Extract<EmbedderStepConfig, { backend: 'hf-tei' | 'hf-inference' }>['options'];

/** The embedding identity and batching fields TEI and hf-inference steps share (same names on the adapters). */
function hostedEmbeddingOptions(o: HostedEmbedderOptions) {
  return {
    revision: o?.revision,
    pooling: o?.pooling,
    normalize: o?.normalize,
    truncate: o?.truncate,
    truncationDirection: o?.truncationDirection,
    queryPrefix: o?.queryPrefix,
    documentPrefix: o?.documentPrefix,
    maxBatchSize: o?.maxBatchSize,
    payloadLimit: o?.payloadLimit,
    concurrency: o?.concurrency,
  };
}

/** Where and how an Ollama step connects (chat and embedder steps share these fields). */
function ollamaConnection(step: { endpoint?: string | undefined; options?: { headers?: Record<string, string> | undefined; keepAlive?: number | string | undefined } | undefined }, ctx: AdapterContext) {
  return { host: ollamaHost(step.endpoint, ctx), fetch: ctx.fetch, headers: step.options?.headers, keepAlive: step.options?.keepAlive };
}

/** The Hugging Face token of a step: its own `token`, else HF_TOKEN, read at each call (never logged). */
function hfToken(stepToken: string | undefined, ctx: AdapterContext): () => string | undefined {
  return () => stepToken ?? ctx.env.HF_TOKEN;
}

/** HF_TOKEN goes to Hugging Face hosts only (as the adapter does); other endpoints get the step's token or none. */
function endpointToken(stepToken: string | undefined, endpoint: string, ctx: AdapterContext): () => string | undefined {
  const huggingFaceHost = /(^|\.)huggingface\.(cloud|co)$/i.test(new URL(endpoint).hostname);
  return () => stepToken ?? (huggingFaceHost ? ctx.env.HF_TOKEN : undefined);
}

function ollamaHost(endpoint: string | undefined, ctx: AdapterContext): string | undefined {
  return endpoint ?? ctx.env.OLLAMA_HOST ?? (ctx.envGiven ? 'http://127.0.0.1:11434' : undefined);
}

function absolute(path: string | undefined, baseDir: string): string | undefined {
  if (path === undefined) return undefined;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

interface TransformersSourceConfig {
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4' | undefined;
  localModelPath?: string | undefined;
  cacheDir?: string | undefined;
  allowRemoteModels?: boolean | undefined;
  revision?: string | undefined;
  threads?: number | undefined;
}

/** Where a Transformers.js model comes from: folders made absolute, and no downloads when offline. */
function transformersSource(options: TransformersSourceConfig | undefined, ctx: AdapterContext) {
  const noDownloads = ctx.offline || ctx.env.HF_HUB_OFFLINE === '1';
  return defined({
    dtype: options?.dtype,
    localModelPath: absolute(options?.localModelPath, ctx.baseDir),
    cacheDir: absolute(options?.cacheDir, ctx.baseDir),
    allowRemoteModels: options?.allowRemoteModels ?? (noDownloads ? false : undefined),
    revision: options?.revision,
    threads: options?.threads,
  });
}

/** The adapter of one answer step (not `extractive`, which the runtime answers itself). */
export function createAnswerAdapter(step: Exclude<AnswerStepConfig, { backend: 'extractive' }>, ctx: AdapterContext): BuiltAdapter<ChatModelV1> {
  switch (step.backend) {
    case 'hf-inference': {
      const o = step.options;
      return {
        model: hf(ctx).createHfChatModel(
          defined({
            model: step.model,
            endpointUrl: step.endpoint,
            provider: o?.provider,
            reasoningEffort: o?.reasoningEffort,
            billTo: o?.billTo,
            headers: o?.headers,
            token: step.endpoint ? endpointToken(step.token, step.endpoint, ctx) : hfToken(step.token, ctx),
            fetch: ctx.fetch,
          }),
        ),
      };
    }
    case 'ollama': {
      const o = step.options;
      return {
        model: ollama(ctx).createOllamaChatModel({
          model: step.model,
          ...defined({
            ...ollamaConnection(step, ctx),
            numCtx: o?.numCtx,
            temperature: o?.temperature,
            maxTokens: o?.maxTokens,
            topP: o?.topP,
            topK: o?.topK,
            seed: o?.seed,
            think: o?.think,
          }),
        }),
      };
    }
    case 'transformersjs': {
      const source = transformersSource(step.options, ctx);
      return transformersAdapter(transformers(ctx).createTransformersChatModel({ model: step.model, ...source, ...defined({ maxTokens: step.options?.maxTokens }) }), source);
    }
  }
}

/** The adapter of one embedder step. */
export function createEmbedderAdapter(step: EmbedderStepConfig, ctx: AdapterContext): BuiltAdapter<EmbedderV1> {
  switch (step.backend) {
    case 'hf-tei': {
      const o = step.options;
      return {
        model: hf(ctx).createTeiEmbedder({
          baseUrl: step.endpoint,
          ...defined({
            model: step.model,
            apiKey: step.apiKey,
            ...hostedEmbeddingOptions(o),
            verifyModel: o?.verifyModel,
            headers: o?.headers,
            fetch: ctx.fetch,
          }),
        }),
      };
    }
    case 'hf-inference': {
      const o = step.options;
      return {
        model: hf(ctx).createHfEmbedder(
          defined({
            model: step.model,
            token: hfToken(step.token, ctx),
            ...hostedEmbeddingOptions(o),
            billTo: o?.billTo,
            headers: o?.headers,
            fetch: ctx.fetch,
          }),
        ),
      };
    }
    case 'ollama': {
      const o = step.options;
      return {
        model: ollama(ctx).createOllamaEmbedder({
          model: step.model,
          ...defined({
            ...ollamaConnection(step, ctx),
            dimensions: o?.dimensions,
            queryPrefix: o?.queryPrefix,
            documentPrefix: o?.documentPrefix,
            maxBatchSize: o?.maxBatchSize,
            revision: o?.revision,
            pooling: o?.pooling,
          }),
        }),
      };
    }
    case 'transformersjs': {
      const o = step.options;
      const source = transformersSource(o, ctx);
      const model = transformers(ctx).createTransformersEmbedder({
        model: step.model,
        ...source,
        ...defined({
          pooling: o?.pooling,
          normalize: o?.normalize,
          queryPrefix: o?.queryPrefix,
          documentPrefix: o?.documentPrefix,
          maxBatchSize: o?.maxBatchSize,
        }),
      });
      return transformersAdapter(model, source);
    }
  }
}

/** The adapter of one reranker step. */
export function createRerankerAdapter(step: RerankerStepConfig, ctx: AdapterContext): BuiltAdapter<RerankerV1> {
  switch (step.backend) {
    case 'hf-tei': {
      const o = step.options;
      return {
        model: hf(ctx).createTeiReranker({
          baseUrl: step.endpoint,
          ...defined({
            model: step.model,
            apiKey: step.apiKey,
            revision: o?.revision,
            truncate: o?.truncate,
            truncationDirection: o?.truncationDirection,
            maxBatchSize: o?.maxBatchSize,
            payloadLimit: o?.payloadLimit,
            concurrency: o?.concurrency,
            verifyModel: o?.verifyModel,
            headers: o?.headers,
            fetch: ctx.fetch,
          }),
        }),
      };
    }
    case 'hf-inference': {
      const o = step.options;
      return {
        model: hf(ctx).createHfReranker(
          defined({
            model: step.model,
            label: o?.label,
            token: hfToken(step.token, ctx),
            maxBatchSize: o?.maxBatchSize,
            payloadLimit: o?.payloadLimit,
            concurrency: o?.concurrency,
            billTo: o?.billTo,
            headers: o?.headers,
            fetch: ctx.fetch,
          }),
        ),
      };
    }
    case 'transformersjs': {
      const source = transformersSource(step.options, ctx);
      return transformersAdapter(transformers(ctx).createTransformersReranker({ model: step.model, ...source, ...defined({ maxBatchSize: step.options?.maxBatchSize }) }), source);
    }
  }
}
