import { ADAPTER_BACKENDS, type ConfigBackend, type RagbridgeConfig } from '@ragbridge/config-profiles';
import type { ChatModelV1, EmbedderV1, RerankerV1 } from '@ragbridge/core-interfaces';
import {
  createEmbeddingCache,
  createMemoryEmbeddingStore,
  createMemoryResponseStore,
  createResponseCache,
  openSqliteEmbeddingStore,
  openSqliteResponseStore,
  type EmbeddingCacheStore,
  type ResponseCacheStore,
} from '@ragbridge/caches';
import type { CostMonitor } from '@ragbridge/cost-monitor';
import {
  createFallbackChatModel,
  createFallbackEmbedder,
  createFallbackReranker,
  type FallbackChainOptions,
  type FallbackStep,
  type ResilienceEventListener,
  type ResilienceRegistry,
  type RetrySettings,
} from '@ragbridge/resilience';
import { notInstalledReason, type AdapterPackage } from './adapter-packages.js';
import { ModelNotFoundError, TERMINAL_BACKENDS } from '@ragbridge/core-interfaces';
import {
  AdapterNotInstalledError,
  createAnswerAdapter,
  createEmbedderAdapter,
  createRerankerAdapter,
  type AdapterContext,
  type BuiltAdapter,
} from './model-factories.js';
import { ensureParentDir, resolveDataPath } from './runtime-config.js';
import { createFusedOrderReranker } from '../terminal-steps.js';
import { defined } from './defined.js';
import { traceChatModel, traceEmbedder, traceReranker, type TracedStep } from './model-tracing.js';
import { gateChatModel, gateEmbedder, gateReranker, StepAvailability, UNAVAILABLE_STEP_BREAKER } from './step-availability.js';

/** A step as `parts()` reports it, with the breaker key to read its state from. */
export interface StepRecord {
  backend: string;
  model?: string;
  local: boolean;
  /** Breaker key in the registry; absent for terminal steps, which have none. */
  key?: string;
  /** Whether the step can run here; absent for steps that are always called. */
  availability?: StepAvailability;
}

/**
 * Why a part has no model step it can run (each step and its reason), or undefined when one of
 * them can run or has not been checked yet.
 */
export function partUnavailable(steps: readonly StepRecord[]): string | undefined {
  const modelSteps = steps.filter((step) => step.model !== undefined);
  if (modelSteps.length === 0 || modelSteps.some((step) => step.availability?.unavailable === undefined)) return undefined;
  return modelSteps.map((step) => `${step.backend} ${step.model}: ${step.availability?.unavailable}`).join('; ');
}

/** Everything the parts need that the runtime owns. */
export interface ChainContext extends AdapterContext {
  config: RagbridgeConfig;
  registry: ResilienceRegistry;
  monitor: CostMonitor;
  onEvent: ResilienceEventListener | undefined;
  /** Things to close or dispose when the runtime closes. */
  closers: Array<() => unknown>;
  /** The runtime's warning log (redacted). */
  warn: (message: string) => void;
  /** The embedding cache file given to `createRuntime`, instead of the configuration's. */
  embeddingCachePath: string | undefined;
  /** The embedding cache's store in the PostgreSQL database, when the storage put it there (closed by the storage). */
  embeddingStore: EmbeddingCacheStore | undefined;
}

/** The availability of a step whose adapter package is not installed: never, saying what to install. */
function notInstalled(name: AdapterPackage): StepAvailability {
  const reason = notInstalledReason(name);
  // The reason already says what to install; an empty hint keeps the error from saying it twice.
  return StepAvailability.never(reason, () => new ModelNotFoundError({ message: reason, hint: '' }));
}

/** An error for calls to a stand-in that the availability gate should have stopped. */
const standInCalled = (backend: string, model: string): Error => new Error(`${backend} ${model}: its adapter package is not installed`);

/** A chat model standing in for a step whose adapter package is not installed. */
function missingChatModel(backend: string, modelId: string): ChatModelV1 {
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    generate: () => Promise.reject(standInCalled(backend, modelId)),
    stream: () => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(standInCalled(backend, modelId)) }),
    }),
  };
}

/** A reranker standing in for a step whose adapter package is not installed. */
function missingReranker(backend: string, modelId: string): RerankerV1 {
  return { specificationVersion: 'v1', backend, modelId, maxBatchSize: 1, rerank: () => Promise.reject(standInCalled(backend, modelId)) };
}

/**
 * An embedder standing in for a step whose adapter package is not installed. Its identity is the
 * step's as configured; the steps of one embedder chain share it (the schema requires that), so
 * stand-ins form a valid chain that falls to keyword retrieval like models not on disk.
 */
function missingEmbedder(backend: string, modelId: string): EmbedderV1 {
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    identity: { provider: backend, modelId, revision: 'unknown', pooling: 'unknown', normalized: true },
    dimensions: undefined,
    maxBatchSize: 1,
    embed: () => Promise.reject(standInCalled(backend, modelId)),
  };
}

/** A built part: the model the pipeline gets (undefined when only the terminal step is left) and its steps. */
export interface BuiltPart<M> {
  model: M | undefined;
  steps: StepRecord[];
  /** Chain position of the terminal step (`extractive`, `keyword` or `fused-order`). */
  terminalStep: number;
}

interface ModelStepConfig {
  backend: ConfigBackend;
  local: boolean;
  key?: string | undefined;
  timeoutMs?: number | undefined;
  streamIdleTimeoutMs?: number | undefined;
  totalTimeoutMs?: number | undefined;
  retry?: false | Record<string, number | undefined> | undefined;
}

function chainOptions(ctx: ChainContext): FallbackChainOptions {
  const r = ctx.config.resilience;
  return {
    registry: ctx.registry,
    ...(r.retry && { retry: defined(r.retry) }),
    timeoutMs: r.timeoutMs,
    streamIdleTimeoutMs: r.streamIdleTimeoutMs,
    ...(r.totalTimeoutMs !== undefined && { totalTimeoutMs: r.totalTimeoutMs }),
    // A spent `downgrade` budget leaves only the local steps (and the terminal one, which is local).
    stepFilter: ctx.monitor.stepFilter,
    ...(ctx.onEvent && { onEvent: ctx.onEvent }),
  };
}

/** How one kind of model becomes a chain step: its adapter, the cost monitor's wrapper, its span, the availability gate. */
interface StepWrappers<C, M> {
  create: (step: C) => BuiltAdapter<M>;
  /**
   * A step whose adapter package is not installed: its stand-in, a model never called (its
   * availability check says which package to install), so the chain passes over it; and what
   * the log says that means for the part.
   */
  missing: { standIn: (backend: string, model: string) => M; consequence: (index: number, step: string) => string };
  monitor: (model: M, options: { fallbackStep: number; local: boolean }) => M;
  /** One OpenTelemetry span per call that gets past the availability gate (so per attempt), with its cost. */
  trace: (model: M, step: TracedStep) => M;
  gate: (model: M, availability: StepAvailability) => M;
}

/** A step's adapter, or the stand-in of one whose package is not installed (see {@link StepWrappers.missing}). */
function createOrStandIn<C extends ModelStepConfig, M>(
  step: C,
  index: number,
  create: (step: C) => BuiltAdapter<M>,
  missing: StepWrappers<C, M>['missing'],
  part: string,
  ctx: ChainContext,
): BuiltAdapter<M> & { availability?: StepAvailability } {
  try {
    return create(step);
  } catch (error) {
    if (!(error instanceof AdapterNotInstalledError)) throw error;
    const model = (step as { model?: string }).model ?? step.backend;
    ctx.warn(`models.${part}.chain[${index}].backend: ${error.message}; ${missing.consequence(index, `${step.backend} ${model}`)}`);
    return { model: missing.standIn(ADAPTER_BACKENDS[step.backend], model), availability: notInstalled(error.packageName) };
  }
}

/**
 * Builds the adapters of a chain's model steps, each wrapped by the cost monitor (so every
 * attempt is recorded, priced and checked against budgets), then traced (one span per attempt,
 * with the monitor's price), and described for the chain (breaker key, retry, timeout, local
 * flag). A step whose model may be missing (see `prepare`) is checked before the monitor sees a
 * call: a model that is not installed is passed over, not counted as an error.
 */
function buildSteps<C extends ModelStepConfig, M extends { backend: string; modelId: string }>(
  steps: readonly C[],
  ctx: ChainContext,
  { create, monitor, trace, gate, missing }: StepWrappers<C, M>,
  part: string,
): { fallback: Array<FallbackStep<M>>; records: StepRecord[] } {
  const used = new Map<string, number>();
  const fallback: Array<FallbackStep<M>> = [];
  const records: StepRecord[] = [];
  steps.forEach((step, index) => {
    const built = createOrStandIn(step, index, create, missing, part, ctx);
    if (built.dispose) ctx.closers.push(built.dispose);
    const backend = ADAPTER_BACKENDS[step.backend];
    // Keys as the resilience package would make them, but explicit, so parts() can read the breakers.
    let key = step.key ?? `${backend}:${built.model.modelId}`;
    const seen = used.get(key) ?? 0;
    used.set(key, seen + 1);
    if (seen > 0 && step.key === undefined) key = `${key}#${seen + 1}`;
    const wrapped = trace(monitor(built.model, { fallbackStep: index, local: step.local }), { index, key, local: step.local });
    const availability = built.availability ?? (built.prepare && new StepAvailability(built.prepare));
    fallback.push({
      model: availability ? gate(wrapped, availability) : wrapped,
      local: step.local,
      key,
      ...(availability && { breaker: UNAVAILABLE_STEP_BREAKER }),
      ...(step.retry !== undefined && { retry: step.retry as RetrySettings | false }),
      ...(step.timeoutMs !== undefined && { timeoutMs: step.timeoutMs }),
      ...(step.streamIdleTimeoutMs !== undefined && { streamIdleTimeoutMs: step.streamIdleTimeoutMs }),
      ...(step.totalTimeoutMs !== undefined && { totalTimeoutMs: step.totalTimeoutMs }),
    });
    records.push({ backend, model: built.model.modelId, local: step.local, key, ...(availability && { availability }) });
  });
  return { fallback, records };
}

/**
 * The answer part: the chat steps as one resilient fallback chain, an exact response cache in
 * front, and the configuration's last step, `extractive`, which the pipeline runs when the chain
 * fails (or when there is no chat step at all).
 */
export function buildAnswerPart(ctx: ChainContext): BuiltPart<ChatModelV1> & { extractiveSentences: number | undefined } {
  const chain = ctx.config.models.answer.chain;
  const last = chain.at(-1);
  const extractive = last?.backend === 'extractive' ? last : undefined;
  const modelSteps = chain.filter((s): s is Exclude<typeof s, { backend: 'extractive' }> => s.backend !== 'extractive');
  const { fallback, records } = buildSteps(modelSteps, ctx, {
    create: (s) => createAnswerAdapter(s, ctx),
    monitor: (m, o) => ctx.monitor.wrapChat(m, o),
    trace: traceChatModel,
    gate: gateChatModel,
    missing: { standIn: missingChatModel, consequence: (index, step) => `the answer chain passes over its step ${index} (${step})` },
  }, 'answer');
  const steps = [...records, { backend: TERMINAL_BACKENDS.answer, local: true }];
  const extractiveSentences = extractive?.options?.sentences;
  if (fallback.length === 0) return { model: undefined, steps, terminalStep: 0, extractiveSentences };
  let model = createFallbackChatModel(fallback, chainOptions(ctx));
  const caching = ctx.config.caches.answers;
  if (caching.enabled) {
    let store: ResponseCacheStore;
    if (caching.path) {
      const path = resolveDataPath(caching.path, ctx.baseDir);
      ensureParentDir(path);
      const sqlite = openSqliteResponseStore({ path });
      ctx.closers.push(() => sqlite.close());
      store = sqlite;
    } else store = createMemoryResponseStore(defined({ maxEntries: caching.maxEntries }));
    model = createResponseCache(model, { store, ...defined({ ttlMs: caching.ttlMs }), onHit: (usage) => ctx.monitor.record(usage) });
  }
  return { model, steps, terminalStep: fallback.length, extractiveSentences };
}

/**
 * The embedder part: one model identity served by the chain's steps (resilient fallback chain,
 * each step monitored), an embedding cache keyed by that identity in front, and the implied last
 * step, keyword-only retrieval, which the pipeline uses for a question whose query cannot be
 * embedded. `retrieval.mode: keyword` builds no embedder at all.
 */
export function buildEmbedderPart(ctx: ChainContext): BuiltPart<EmbedderV1> {
  const chain = ctx.config.retrieval.mode === 'keyword' ? [] : ctx.config.models.embedder.chain;
  const { fallback, records } = buildSteps(chain, ctx, {
    create: (s) => createEmbedderAdapter(s, ctx),
    monitor: (m, o) => ctx.monitor.wrapEmbedder(m, o),
    trace: traceEmbedder,
    gate: gateEmbedder,
    // One chain, one identity, one package: all its steps are missing together.
    missing: { standIn: missingEmbedder, consequence: () => 'retrieval is keyword-only' },
  }, 'embedder');
  const steps = [...records, { backend: TERMINAL_BACKENDS.embedder, local: true }];
  if (fallback.length === 0) return { model: undefined, steps, terminalStep: 0 };
  let model = createFallbackEmbedder(fallback, chainOptions(ctx));
  const caching = ctx.config.caches.embeddings;
  if (caching.enabled) {
    let store: EmbeddingCacheStore;
    const cachePath = ctx.embeddingCachePath ?? caching.path;
    if (ctx.embeddingStore) store = ctx.embeddingStore;
    else if (cachePath) {
      const path = resolveDataPath(cachePath, ctx.baseDir);
      ensureParentDir(path);
      const sqlite = openSqliteEmbeddingStore({ path });
      ctx.closers.push(() => sqlite.close());
      store = sqlite;
    } else store = createMemoryEmbeddingStore(defined({ maxEntries: caching.maxEntries }));
    model = createEmbeddingCache(model, { store, onHit: (usage) => ctx.monitor.record(usage) });
  }
  return { model, steps, terminalStep: fallback.length };
}

/**
 * The reranker part: the chain's steps, then `fused-order` as a real last step of the same
 * fallback chain (local, no retry, no breaker), so a failing chain still returns scores, the
 * candidates keep their fused order, and `usage.fallbackStep` says the terminal step served.
 */
export function buildRerankerPart(ctx: ChainContext): BuiltPart<RerankerV1> {
  const { fallback, records } = buildSteps(ctx.config.models.reranker.chain, ctx, {
    create: (s) => createRerankerAdapter(s, ctx),
    monitor: (m, o) => ctx.monitor.wrapReranker(m, o),
    trace: traceReranker,
    gate: gateReranker,
    missing: { standIn: missingReranker, consequence: (index, step) => `the reranker chain passes over its step ${index} (${step})` },
  }, 'reranker');
  const steps = [...records, { backend: TERMINAL_BACKENDS.reranker, local: true }];
  if (fallback.length === 0) return { model: undefined, steps, terminalStep: 0 };
  const terminal: FallbackStep<RerankerV1> = { model: createFusedOrderReranker(), local: true, retry: false, breaker: false, key: TERMINAL_BACKENDS.reranker };
  return { model: createFallbackReranker([...fallback, terminal], chainOptions(ctx)), steps, terminalStep: fallback.length };
}
