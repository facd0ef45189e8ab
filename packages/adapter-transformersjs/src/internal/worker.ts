/**
 * The inference worker: loads one Transformers.js model and runs every call for it, so the
 * main thread's event loop never waits for tokenization, ONNX Runtime or decoding.
 *
 * Started by {@link ModelHost} with the {@link ModelLoadConfig} as `workerData`. It loads the
 * model at once, posts `loaded` (with what loading cost) or `load-failed`, then serves requests
 * one at a time in arrival order.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import {
  AutoModelForCausalLM,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  LogLevel,
  ModelFileNotFoundError,
  StoppingCriteria,
  TextStreamer,
  env,
  mean_pooling,
  pipeline,
  random,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import { missingModelFiles, modelFoldersFor, onnxFileFor } from './model-files.js';
import {
  type ChatRequest,
  type EmbedRequest,
  type LoadedModelFile,
  type LoadedModelReport,
  type ModelLoadConfig,
  type RerankRequest,
  type ShutdownRequest,
  type WorkerFailure,
  type WorkerPooling,
  type WorkerRequest,
  type WorkerResponse,
} from './protocol.js';
import { StopSequenceBuffer } from './stop-sequences.js';

interface LoadedModel {
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  /** Tokens kept per input (tokenizer and position-embedding limits), when finite. */
  maxInputTokens: number | undefined;
}

type Encoded = Record<string, Tensor> & { input_ids: Tensor; attention_mask: Tensor };
type Tokenize = (text: string | string[], options?: Record<string, unknown>) => Encoded;
type Forward = (inputs: Record<string, Tensor>) => Promise<Record<string, Tensor | undefined>>;

/** Thrown inside the worker for failures that already carry their category. */
class WorkerError extends Error {
  constructor(readonly failure: WorkerFailure) {
    super(failure.message);
  }
}

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const config = workerData as ModelLoadConfig;

function post(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function configure(): void {
  env.allowLocalModels = true;
  env.allowRemoteModels = config.allowRemoteModels;
  if (config.localModelPath !== undefined) env.localModelPath = config.localModelPath.endsWith('/') ? config.localModelPath : `${config.localModelPath}/`;
  if (config.cacheDir !== undefined) env.cacheDir = config.cacheDir;
  // Our errors say what went wrong; the library's console warnings would only repeat it.
  env.logLevel = LogLevel.ERROR;
}

/** Folders Transformers.js reads this model from, in lookup order (after {@link configure}). */
function modelFolders(): string[] {
  return modelFoldersFor(config, env);
}

function onnxFile(): string {
  return onnxFileFor(config.dtype);
}

function modelFiles(): LoadedModelFile[] {
  const names = ['config.json', 'tokenizer.json', 'tokenizer_config.json', onnxFile(), `${onnxFile()}_data`];
  if (config.task === 'text-generation') names.push('generation_config.json');
  const files: LoadedModelFile[] = [];
  for (const file of names) {
    for (const folder of modelFolders()) {
      const path = join(folder, file);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isFile()) {
        files.push({ file, path, bytes: stat.size });
        break;
      }
    }
  }
  return files;
}

function finiteMin(...values: unknown[]): number | undefined {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
  return finite.length ? Math.min(...finite) : undefined;
}

/**
 * With downloads off, names every file the model needs that is in none of its folders, before
 * Transformers.js trips over the first one (a missing tokenizer_config.json otherwise surfaces as
 * a TypeError). The calling thread usually ran the same check before starting this worker (see
 * ModelHandle); this one still covers files removed since, and setups where it could not tell.
 */
function checkLocalFiles(): void {
  if (config.allowRemoteModels) return;
  const missing = missingModelFiles(config.dtype, modelFolders());
  if (missing.length > 0) {
    throw new WorkerError({ kind: 'model-not-found', message: `missing ${missing.join(', ')}`, missing });
  }
}

/**
 * Waits for every part to load, even when one fails early: ONNX Runtime must not be torn down
 * while it is still creating a session. Loaded parts of a failed load are released.
 */
async function loadAll<T extends readonly unknown[]>(parts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(parts);
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length === 0) return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  for (const result of settled) {
    if (result.status === 'fulfilled') await (result.value as { dispose?: () => Promise<unknown> }).dispose?.();
  }
  // A missing file explains the other failures (e.g. a tokenizer built from nothing).
  throw failures.find((error) => error instanceof ModelFileNotFoundError) ?? failures[0];
}

async function loadModel(): Promise<LoadedModel> {
  checkLocalFiles();
  const options = {
    dtype: config.dtype,
    device: 'cpu' as const,
    revision: config.revision,
    local_files_only: !config.allowRemoteModels,
    ...(config.threads !== undefined && { session_options: { intraOpNumThreads: config.threads } }),
  };
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  if (config.task === 'feature-extraction') {
    // The pipeline picks the model class and files the same way for every encoder; we reuse its
    // tokenizer and model and run its steps ourselves (see embed()).
    const extractor = await pipeline('feature-extraction', config.model, options);
    tokenizer = extractor.tokenizer;
    model = extractor.model;
  } else if (config.task === 'cross-encoder') {
    [tokenizer, model] = await loadAll<[PreTrainedTokenizer, PreTrainedModel]>([
      AutoTokenizer.from_pretrained(config.model, options),
      AutoModelForSequenceClassification.from_pretrained(config.model, options),
    ]);
  } else {
    [tokenizer, model] = await loadAll<[PreTrainedTokenizer, PreTrainedModel]>([
      AutoTokenizer.from_pretrained(config.model, options),
      AutoModelForCausalLM.from_pretrained(config.model, options),
    ]);
    if (!tokenizer.chat_template) {
      await model.dispose();
      throw new WorkerError({
        kind: 'model-invalid',
        message: 'The tokenizer has no chat template (tokenizer_config.json "chat_template"), so it is not a chat model',
        file: 'tokenizer_config.json',
      });
    }
  }
  const modelConfig = model.config as unknown as Record<string, unknown>;
  return { tokenizer, model, maxInputTokens: finiteMin(tokenizer.model_max_length, modelConfig.max_position_embeddings) };
}

function isCancelled(request: WorkerRequest): boolean {
  return Atomics.load(request.cancel, 0) !== 0;
}

function throwIfCancelled(request: WorkerRequest): void {
  if (isCancelled(request)) throw new WorkerError({ kind: 'cancelled', message: 'The call was cancelled' });
}

function tokenize(loaded: LoadedModel, text: string | string[], options: Record<string, unknown>): Encoded {
  return (loaded.tokenizer as unknown as Tokenize)(text, options);
}

async function forward(loaded: LoadedModel, inputs: Record<string, Tensor>): Promise<Record<string, Tensor | undefined>> {
  return (loaded.model as unknown as Forward)(inputs);
}

function countTokens(mask: Tensor): number {
  let count = 0;
  for (const v of mask.data as BigInt64Array) count += Number(v);
  return count;
}

/** Pools token vectors [batch, seq, dim] into [batch, dim], ignoring padding. */
function pool(hidden: Tensor, mask: Tensor, pooling: WorkerPooling): Tensor {
  if (pooling === 'mean') return mean_pooling(hidden, mask);
  if (pooling === 'cls') return hidden.slice(null, 0);
  // last-token: the last position the attention mask covers (padding may follow it).
  const [batch, seq] = mask.dims as [number, number];
  const rows: Tensor[] = [];
  for (let b = 0; b < batch; b++) {
    let last = 0;
    for (let s = 0; s < seq; s++) if ((mask.data as BigInt64Array)[b * seq + s] !== 0n) last = s;
    rows.push(hidden.slice([b, b + 1], last));
  }
  const dim = hidden.dims[2] as number;
  const data = new Float32Array(batch * dim);
  rows.forEach((row, b) => data.set(row.to('float32').data as Float32Array, b * dim));
  return new (hidden.constructor as typeof Tensor)('float32', data, [batch, dim]);
}

async function embed(loaded: LoadedModel, request: EmbedRequest): Promise<void> {
  throwIfCancelled(request);
  // The steps of FeatureExtractionPipeline._call, with max_length set from the model config
  // (the pipeline only knows the tokenizer's limit) and the token count kept for usage.
  const inputs = tokenize(loaded, request.texts, {
    padding: true,
    truncation: true,
    ...(loaded.maxInputTokens !== undefined && { max_length: loaded.maxInputTokens }),
  });
  const outputs = await forward(loaded, inputs);
  const hidden = outputs.last_hidden_state ?? outputs.token_embeddings ?? outputs.logits;
  if (!hidden || hidden.dims.length !== 3) {
    throw new WorkerError({
      kind: 'inference-failed',
      message: `The model returned no token vectors (outputs: ${Object.keys(outputs).join(', ')}); it is not a feature-extraction model`,
    });
  }
  let pooled = pool(hidden, inputs.attention_mask, request.pooling);
  if (request.normalize) pooled = pooled.normalize(2, -1);
  const vectors = Float32Array.from(pooled.to('float32').data as Float32Array);
  const dimensions = pooled.dims[1] as number;
  post({ type: 'embedded', id: request.id, vectors, dimensions, inputTokens: countTokens(inputs.attention_mask) }, [vectors.buffer]);
}

async function rerank(loaded: LoadedModel, request: RerankRequest): Promise<void> {
  throwIfCancelled(request);
  const inputs = tokenize(loaded, new Array<string>(request.texts.length).fill(request.query), {
    text_pair: request.texts,
    padding: true,
    truncation: true,
    ...(loaded.maxInputTokens !== undefined && { max_length: loaded.maxInputTokens }),
  });
  const { logits } = await forward(loaded, inputs);
  if (!logits || logits.dims.length !== 2 || logits.dims[1] !== 1) {
    throw new WorkerError({
      kind: 'inference-failed',
      message: `A cross-encoder returns one relevance logit per pair, this model returns ${logits ? `shape [${logits.dims.join(', ')}]` : 'no logits'}`,
    });
  }
  const scores = Array.from(logits.sigmoid().to('float32').data as Float32Array);
  post({ type: 'scored', id: request.id, scores, inputTokens: countTokens(inputs.attention_mask) });
}

/** Stops generation as soon as `done()` says so (cancelled, or a stop sequence appeared). */
class StopWhen extends StoppingCriteria {
  constructor(private readonly done: () => boolean) {
    super();
  }

  override _call(inputIds: number[][]): boolean[] {
    return inputIds.map(() => this.done());
  }
}

function eosTokenIds(model: PreTrainedModel): Set<bigint> {
  const generation = (model as unknown as { generation_config?: { eos_token_id?: unknown } | null }).generation_config;
  const raw = generation?.eos_token_id ?? (model.config as unknown as { eos_token_id?: unknown }).eos_token_id;
  const ids = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return new Set(ids.map((id) => BigInt(id as number)));
}

async function chat(loaded: LoadedModel, request: ChatRequest): Promise<void> {
  throwIfCancelled(request);
  const prompt = loaded.tokenizer.apply_chat_template(request.messages, { add_generation_prompt: true, tokenize: false }) as string;
  const inputs = tokenize(loaded, prompt, { add_special_tokens: false });
  const inputTokens = inputs.input_ids.dims[1] as number;
  const context = loaded.maxInputTokens;
  if (context !== undefined && inputTokens >= context) {
    throw new WorkerError({
      kind: 'bad-input',
      message: `The prompt has ${inputTokens} tokens, but the model's context window is ${context} tokens; shorten the conversation or the sources`,
    });
  }
  const maxNewTokens = context === undefined ? request.maxTokens : Math.min(request.maxTokens, context - inputTokens);
  const buffer = new StopSequenceBuffer(request.stop);
  const emit = (text: string): void => {
    if (text && request.stream && !isCancelled(request)) post({ type: 'delta', id: request.id, text });
  };
  const streamer = new TextStreamer(loaded.tokenizer, {
    skip_prompt: true,
    skip_special_tokens: true,
    callback_function: (piece: string) => emit(buffer.push(piece)),
  });
  const sampling =
    request.temperature === undefined ? {} : request.temperature > 0 ? { do_sample: true, temperature: request.temperature } : { do_sample: false };
  if (request.seed !== undefined) random.seed(request.seed);
  const sequences = (await loaded.model.generate({
    ...inputs,
    max_new_tokens: maxNewTokens,
    ...sampling,
    streamer,
    stopping_criteria: new StopWhen(() => isCancelled(request) || buffer.stopped),
  } as Parameters<PreTrainedModel['generate']>[0])) as Tensor;
  throwIfCancelled(request);
  emit(buffer.end());
  const generated = (sequences.tolist() as bigint[][])[0]?.slice(inputTokens) ?? [];
  const endedWithEos = generated.length > 0 && eosTokenIds(loaded.model).has(generated[generated.length - 1] as bigint);
  const finishReason = buffer.stopped || endedWithEos || generated.length < maxNewTokens ? 'stop' : 'length';
  post({ type: 'generated', id: request.id, text: buffer.shown, finishReason, inputTokens, outputTokens: generated.length, prompt });
}

/** The first model JSON file that exists but does not parse. */
function unreadableJsonFile(): string | undefined {
  for (const folder of modelFolders()) {
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
      const path = join(folder, name);
      if (!statSync(path, { throwIfNoEntry: false })?.isFile()) continue;
      try {
        JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        return path;
      }
    }
  }
  return undefined;
}

/** Sorts an exception into the categories the main thread maps to ragbridge errors. */
function toFailure(error: unknown, phase: 'load' | 'run'): WorkerFailure {
  if (error instanceof WorkerError) return error.failure;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /"([^"]+)"/.exec(message)?.[1];
  if (error instanceof ModelFileNotFoundError || (error as { name?: unknown })?.name === 'ModelFileNotFoundError') {
    const status = (error as { status?: unknown }).status;
    const kind = status === 401 || status === 403 ? 'model-access-denied' : 'model-not-found';
    return { kind, message, ...(quoted !== undefined && { file: quoted }) };
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (/fetch failed|ENOTFOUND|ECONNREFUSED|ECONNRESET|EAI_AGAIN|ETIMEDOUT/.test(`${message} ${String(cause?.code ?? '')}`)) {
    return { kind: 'download-failed', message: cause?.message ? `${message} (${String(cause.message)})` : message };
  }
  if (phase === 'load') {
    // ONNX Runtime names the file it failed to read ("Load model from <path> failed: ...");
    // JSON.parse does not, so look for the unreadable JSON file ourselves.
    const onnxPath = /Load model from (\S+?) failed/.exec(message)?.[1];
    const file = onnxPath ?? (error instanceof SyntaxError ? unreadableJsonFile() : quoted);
    return { kind: 'model-invalid', message, ...(file !== undefined && { file }) };
  }
  return { kind: 'inference-failed', message };
}

async function start(): Promise<LoadedModel | undefined> {
  configure();
  const before = process.memoryUsage();
  const started = performance.now();
  try {
    const loaded = await loadModel();
    const loadMs = performance.now() - started;
    let dimensions: number | undefined;
    if (config.task === 'feature-extraction') {
      // One tiny run tells the vector length (and warms up the session).
      const probe = tokenize(loaded, ['probe'], { padding: true, truncation: true });
      const outputs = await forward(loaded, probe);
      dimensions = (outputs.last_hidden_state ?? outputs.token_embeddings ?? outputs.logits)?.dims.at(-1);
    }
    const after = process.memoryUsage();
    const files = modelFiles();
    const report: LoadedModelReport = {
      task: config.task,
      dtype: config.dtype,
      loadMs,
      files,
      fileBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      rssDeltaBytes: after.rss - before.rss,
      workerHeapBytes: after.heapUsed,
      maxInputTokens: loaded.maxInputTokens,
      dimensions,
    };
    post({ type: 'loaded', report });
    return loaded;
  } catch (error) {
    const failure = toFailure(error, 'load');
    post({ type: 'load-failed', error: { ...failure, folders: modelFolders() } });
    // Nothing more to do: ending the thread by ourselves is safe, ONNX Runtime is idle.
    port?.close();
    return undefined;
  }
}

const ready = start();
let queue: Promise<void> = Promise.resolve();

async function shutdown(): Promise<void> {
  const loaded = await ready;
  await loaded?.model.dispose();
  port?.close();
}

port.on('message', (request: WorkerRequest | ShutdownRequest) => {
  queue = queue.then(async () => {
    if (request.type === 'shutdown') return shutdown();
    const loaded = await ready;
    if (!loaded) return;
    try {
      if (request.type === 'embed') await embed(loaded, request);
      else if (request.type === 'rerank') await rerank(loaded, request);
      else await chat(loaded, request);
    } catch (error) {
      post({ type: 'failed', id: request.id, error: toFailure(error, 'run') });
    }
  });
});
