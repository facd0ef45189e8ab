/**
 * Messages between the main thread ({@link ModelHost}) and the inference worker (`worker.ts`).
 * Plain data only: everything crosses `postMessage` by structured clone, except the cancel flag,
 * which is a `SharedArrayBuffer` both threads see, so the worker can notice a cancellation
 * between two generation steps without waiting for its event loop.
 */

import type { TransformersDtype, TransformersModelFile, TransformersModelInfo, TransformersModelTask } from '../transformers-model-info.js';

/** What the worker loads. */
export type ModelTask = TransformersModelTask;

/** Transformers.js dtypes and the ONNX file suffix each selects (`onnx/model{suffix}.onnx`). */
export const DTYPE_SUFFIXES: Readonly<Record<TransformersDtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

export type { TransformersDtype };

/** Everything that decides which model a worker loads; equal configs share one worker. */
export interface ModelLoadConfig {
  task: ModelTask;
  /** Hub id (`org/name`) or an absolute folder path. */
  model: string;
  dtype: TransformersDtype;
  revision: string;
  /** Absolute path Transformers.js looks in first (`<localModelPath>/<org>/<name>/`). */
  localModelPath: string | undefined;
  /** Where downloads are cached (`<cacheDir>/<org>/<name>/`). */
  cacheDir: string | undefined;
  allowRemoteModels: boolean;
  /** ONNX Runtime intra-op threads; undefined keeps its default. */
  threads: number | undefined;
}

/** One file of a loaded model. */
export type LoadedModelFile = TransformersModelFile;

/** What loading cost, measured in the worker (the host adds the model id). */
export type LoadedModelReport = Omit<TransformersModelInfo, 'modelId'>;

/** Embedding pooling the worker applies. */
export type WorkerPooling = 'mean' | 'cls' | 'last-token';

/** A chat message as the worker receives it. */
export interface WorkerChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

interface RequestBase {
  id: number;
  /** Int32Array over a SharedArrayBuffer; index 0 becomes 1 when the caller gave up. */
  cancel: Int32Array;
}

export interface EmbedRequest extends RequestBase {
  type: 'embed';
  texts: string[];
  pooling: WorkerPooling;
  normalize: boolean;
}

export interface RerankRequest extends RequestBase {
  type: 'rerank';
  query: string;
  texts: string[];
}

export interface ChatRequest extends RequestBase {
  type: 'chat';
  messages: WorkerChatMessage[];
  maxTokens: number;
  temperature: number | undefined;
  seed: number | undefined;
  stop: string[];
  /** Post `delta` messages while generating. */
  stream: boolean;
}

/** Main thread → worker: a model call. */
export type WorkerRequest = EmbedRequest | RerankRequest | ChatRequest;

/**
 * Main thread → worker: finish the calls already queued, release the ONNX sessions and exit.
 * The worker ends itself because terminating a thread while ONNX Runtime is still working in it
 * can abort the whole process.
 */
export interface ShutdownRequest {
  type: 'shutdown';
}

/** Why the worker could not do what it was asked, in categories the main thread maps to errors. */
export type WorkerFailureKind =
  | 'model-not-found'
  | 'model-access-denied'
  | 'download-failed'
  | 'model-invalid'
  | 'bad-input'
  | 'cancelled'
  | 'inference-failed';

export interface WorkerFailure {
  kind: WorkerFailureKind;
  message: string;
  /** The file involved, when known (absolute path or path inside the model folder). */
  file?: string;
  /** Every missing file, when the worker checked them all (paths inside the model folder). */
  missing?: string[];
  /** The folders the model was looked for in, in lookup order (load failures only). */
  folders?: string[];
}

/** Worker → main thread. */
export type WorkerResponse =
  | { type: 'loaded'; report: LoadedModelReport }
  | { type: 'load-failed'; error: WorkerFailure }
  | { type: 'embedded'; id: number; vectors: Float32Array; dimensions: number; inputTokens: number }
  | { type: 'scored'; id: number; scores: number[]; inputTokens: number }
  | { type: 'delta'; id: number; text: string }
  | {
      type: 'generated';
      id: number;
      text: string;
      finishReason: 'stop' | 'length';
      inputTokens: number;
      outputTokens: number;
      /** The prompt after the chat template, for callers that log what the model saw. */
      prompt: string;
    }
  | { type: 'failed'; id: number; error: WorkerFailure };
