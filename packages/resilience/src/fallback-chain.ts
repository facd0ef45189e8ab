import {
  BadInputError,
  delegateEmbedder,
  delegateReranker,
  embedderIdentityKey,
  isAbortError,
  isLocalBackend,
  sameEmbedderIdentity,
  throwIfAborted,
  type CallTarget,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatStreamPart,
  type EmbedOptions,
  type EmbedResult,
  type EmbedderIdentity,
  type EmbedderV1,
  type ModelOperation,
  type RerankOptions,
  type RerankResult,
  type RerankerV1,
} from '@ragbridge/core-interfaces';
import { z } from 'zod';
import type { Clock } from './clock.js';
import { emitEvent } from './internal/emit.js';
import { breakerLayer, limiterLayer, retryLayer, timeoutLayer } from './internal/layers.js';
import { clockSchema, functionSchema, listenerSchema, parseOptions } from './internal/options.js';
import {
  iteratePartStream,
  modelKey,
  openPartStream,
  stackLayers,
  targetOf,
  withSignal,
  type AnyModel,
  type Layer,
  type Runner,
} from './internal/runner.js';
import { CircuitOpenError, IncompatibleEmbedderError, markStreamInterruption, NoEligibleStepError } from './resilience-errors.js';
import type { ResilienceEventListener } from './resilience-events.js';
import { createResilienceRegistry, type ResilienceRegistry } from './resilience-registry.js';
import type { CircuitBreakerSettings } from './resilient-model.js';
import { resolveRetryPolicy, type RetrySettings } from './retry.js';

/** What a `stepFilter` and `shouldFallback` learn about a step. */
export interface FallbackStepInfo {
  /** Position in the chain; 0 is the first choice. */
  index: number;
  backend: string;
  modelId: string;
  /** Whether the step runs locally (declared on the step, else derived from its backend). */
  local: boolean;
  /** The step's breaker and event key. */
  key: string;
}

/** One step of a fallback chain: a model and how to guard it. */
export interface FallbackStep<M> {
  model: M;
  /** Runs on this machine (no network, no cost); a budget's stepFilter may keep only these. @default true for ollama, transformersjs and extractive backends */
  local?: boolean;
  /**
   * Breaker key; steps with the same key share a breaker across chains of one registry. Give two
   * servers of the same model different keys. @default `${backend}:${modelId}` (with `#n` added
   * when it repeats within the chain)
   */
  key?: string;
  /** Overrides the chain's retry settings field by field, or `false` for no retries. */
  retry?: RetrySettings | false;
  /** Breaker settings used when the registry creates this step's breaker, or `false` for none. */
  breaker?: CircuitBreakerSettings | false;
  /** Overrides the chain's timeout. */
  timeoutMs?: number;
  /** Overrides the chain's stream idle timeout. */
  streamIdleTimeoutMs?: number;
  /** Overrides the chain's total timeout of one attempt. */
  totalTimeoutMs?: number;
}

/** Options every fallback chain takes. */
export interface FallbackChainOptions {
  /** Breakers and concurrency limits shared with other chains. @default a registry of this chain alone */
  registry?: ResilienceRegistry;
  /** Time source for retries and timeouts. @default the registry's clock */
  clock?: Clock;
  /** Retry settings of every step, or `false`. @default {} (see withRetry) */
  retry?: RetrySettings | false;
  /** Whether steps get circuit breakers (settings come from the registry and the step). @default true */
  breaker?: boolean;
  /** Per-attempt timeout of every step, in ms. @default none (the retry deadline still bounds a call) */
  timeoutMs?: number;
  /** Longest wait between stream parts, in ms. @default timeoutMs */
  streamIdleTimeoutMs?: number;
  /**
   * Longest one attempt may take in all, in ms: a stream from its request to its last part (a
   * stream cut by it after its first text fails like a dropped stream). @default none
   */
  totalTimeoutMs?: number;
  /**
   * Decides, at each call, which steps may serve it; a step it rejects is skipped. The cost
   * monitor uses it to downgrade to local steps when a budget says so.
   * @default every step may serve
   */
  stepFilter?: (step: FallbackStepInfo) => boolean;
  /**
   * Whether a step's failure moves the call to the next step.
   * @default every error except BadInputError (the next model would get the same bad input) and aborts
   */
  shouldFallback?: (error: unknown, step: FallbackStepInfo) => boolean;
  /** Receives step, attempt and stream events (circuit events go to the registry's listener). */
  onEvent?: ResilienceEventListener;
}

/** Options of {@link createFallbackEmbedder}. */
export interface FallbackEmbedderOptions extends FallbackChainOptions {
  /**
   * Whether vectors of `candidate` may be mixed with those of the first step. Loosen only when you
   * know two providers serve bit-identical models. @default sameEmbedderIdentity
   */
  compatible?: (primary: EmbedderIdentity, candidate: EmbedderIdentity) => boolean;
}

const stepSchema = z.strictObject({
  model: z.custom<AnyModel>((m) => typeof m === 'object' && m !== null && (m as AnyModel).specificationVersion === 'v1', 'must be a model (specificationVersion "v1")'),
  local: z.boolean().optional(),
  key: z.string().min(1).optional(),
  retry: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  breaker: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  timeoutMs: z.number().int().positive().optional(),
  streamIdleTimeoutMs: z.number().int().positive().optional(),
  totalTimeoutMs: z.number().int().positive().optional(),
});

const chainOptionsSchema = z.strictObject({
  registry: z.custom<ResilienceRegistry>((r) => typeof r === 'object' && r !== null && typeof (r as ResilienceRegistry).breaker === 'function', 'must be a ResilienceRegistry').optional(),
  clock: clockSchema.optional(),
  retry: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  breaker: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
  streamIdleTimeoutMs: z.number().int().positive().optional(),
  totalTimeoutMs: z.number().int().positive().optional(),
  stepFilter: functionSchema<(step: FallbackStepInfo) => boolean>().optional(),
  shouldFallback: functionSchema<(error: unknown, step: FallbackStepInfo) => boolean>().optional(),
  onEvent: listenerSchema.optional(),
  compatible: functionSchema<(a: EmbedderIdentity, b: EmbedderIdentity) => boolean>().optional(),
});

interface ChainStep<M extends AnyModel> {
  info: FallbackStepInfo;
  model: M;
  runner: Runner;
}

function defaultShouldFallback(error: unknown): boolean {
  return !BadInputError.isInstance(error) && !isAbortError(error);
}

function buildSteps<M extends AnyModel>(
  input: ReadonlyArray<M | FallbackStep<M>>,
  options: FallbackChainOptions,
  kind: 'chat' | 'embed' | 'rerank',
): { steps: ChainStep<M>[]; options: FallbackChainOptions } {
  const o = parseOptions(chainOptionsSchema, options, 'fallback chain') as FallbackEmbedderOptions;
  if (!Array.isArray(input) || input.length === 0) {
    throw new BadInputError({ backend: 'resilience', message: 'A fallback chain needs at least one step' });
  }
  const registry = o.registry ?? createResilienceRegistry(o.clock ? { clock: o.clock } : {});
  const clock = o.clock ?? registry.clock;
  const used = new Map<string, number>();
  const method = kind === 'chat' ? 'generate' : kind;
  const steps = input.map((entry, index): ChainStep<M> => {
    const step = (typeof entry === 'object' && entry !== null && 'model' in entry ? entry : { model: entry }) as FallbackStep<M>;
    parseOptions(stepSchema, step, `fallback step ${index}`);
    const model = step.model;
    if (typeof (model as unknown as Record<string, unknown>)[method] !== 'function') {
      throw new BadInputError({ backend: 'resilience', message: `Fallback step ${index} (${model.backend}:${model.modelId}) has no ${method}() method` });
    }
    let key = step.key ?? modelKey(model);
    const seen = used.get(key) ?? 0;
    used.set(key, seen + 1);
    if (seen > 0 && step.key === undefined) key = `${key}#${seen + 1}`;
    const info: FallbackStepInfo = { index, backend: model.backend, modelId: model.modelId, local: step.local ?? isLocalBackend(model.backend), key };
    const target: CallTarget = targetOf(model);
    const layers: Layer[] = [];
    if (o.retry !== false && step.retry !== false) {
      const policy = resolveRetryPolicy({ ...(o.retry || {}), ...(step.retry || {}), clock, ...(o.onEvent && { onEvent: o.onEvent }) });
      layers.push(retryLayer(policy, target, key));
    }
    if (o.breaker !== false && step.breaker !== false) layers.push(breakerLayer(registry.breaker(key, step.breaker || undefined), target));
    const limiter = registry.limiter(model.backend);
    if (limiter) layers.push(limiterLayer(limiter, target));
    const total = step.totalTimeoutMs ?? o.totalTimeoutMs;
    const timeoutMs = step.timeoutMs ?? o.timeoutMs ?? total;
    if (timeoutMs !== undefined) {
      const idle = step.streamIdleTimeoutMs ?? o.streamIdleTimeoutMs ?? timeoutMs;
      layers.push(timeoutLayer({ timeoutMs, streamIdleTimeoutMs: idle, totalTimeoutMs: total, clock, target }));
    }
    return { info, model, runner: stackLayers(layers) };
  });
  return { steps, options: o };
}

/** Runs a call down the chain until a step serves it. */
async function runChain<M extends AnyModel, T>(
  steps: readonly ChainStep<M>[],
  options: FallbackChainOptions,
  operation: ModelOperation,
  streamed: boolean,
  signal: AbortSignal | undefined,
  run: (step: ChainStep<M>) => Promise<T>,
): Promise<{ value: T; step: ChainStep<M> }> {
  const primary = steps[0] as ChainStep<M>;
  throwIfAborted(signal, targetOf(primary.model));
  const shouldFallback = options.shouldFallback ?? defaultShouldFallback;
  let lastError: unknown;
  let skipError: unknown;
  for (const step of steps) {
    const { info } = step;
    if (options.stepFilter && !options.stepFilter({ ...info })) {
      emitEvent(options.onEvent, { type: 'step-skipped', operation, step: info.index, key: info.key, reason: 'filtered' });
      continue;
    }
    try {
      const value = await run(step);
      emitEvent(options.onEvent, { type: 'step-served', operation, step: info.index, key: info.key, streamed });
      return { value, step };
    } catch (error) {
      if (signal?.aborted || !shouldFallback(error, { ...info })) throw error;
      if (CircuitOpenError.isInstance(error)) {
        skipError ??= error;
        emitEvent(options.onEvent, { type: 'step-skipped', operation, step: info.index, key: info.key, reason: 'circuit-open' });
      } else {
        lastError = error;
        emitEvent(options.onEvent, { type: 'step-failed', operation, step: info.index, key: info.key, error });
      }
    }
  }
  if (lastError !== undefined) throw lastError;
  if (skipError !== undefined) throw skipError;
  throw new NoEligibleStepError({
    ...targetOf(primary.model),
    message: `stepFilter excluded all ${steps.length} step(s) of the ${operation} chain (${steps.map((s) => `${s.info.key}${s.info.local ? ' [local]' : ''}`).join(', ')})`,
  });
}

/**
 * An ordered fallback chain of chat models. Each step is guarded by retry, a circuit breaker, its
 * backend's concurrency limit and a timeout; a call moves to the next step when a step fails
 * (except on BadInputError and aborts). `usage.fallbackStep` says which step served.
 *
 * Streams fall back only before the first text delta reaches the caller. A stream that fails
 * after that ends with the step's own typed error (see {@link getStreamInterruption}); two models'
 * text are never spliced.
 *
 * `backend` and `modelId` are those of the first step.
 */
export function createFallbackChatModel(steps: ReadonlyArray<ChatModelV1 | FallbackStep<ChatModelV1>>, options: FallbackChainOptions = {}): ChatModelV1 {
  const built = buildSteps(steps, options, 'chat');
  const chain = built.steps;
  const o = built.options;
  const primary = (chain[0] as ChainStep<ChatModelV1>).model;
  return {
    specificationVersion: 'v1',
    backend: primary.backend,
    modelId: primary.modelId,
    async generate(call: ChatCallOptions) {
      const { value, step } = await runChain(chain, o, 'chat', false, call.abortSignal, (s) =>
        s.runner.unary((signal) => s.model.generate(withSignal(call, signal)), call.abortSignal),
      );
      return { ...value, usage: { ...value.usage, fallbackStep: step.info.index } };
    },
    stream(call: ChatCallOptions): AsyncIterable<ChatStreamPart> {
      let served: ChainStep<ChatModelV1> | undefined;
      return iteratePartStream(
        async () => {
          const { value, step } = await runChain(chain, o, 'chat', true, call.abortSignal, (s) =>
            s.runner.open((signal) => openPartStream(s.model.stream(withSignal(call, signal))), call.abortSignal),
          );
          served = step;
          return value;
        },
        (part) => (part.type === 'finish' && served ? { ...part, usage: { ...part.usage, fallbackStep: served.info.index } } : part),
        (error, delivered) => {
          // The caller's own abort is not an interruption of the backend.
          if (!served || call.abortSignal?.aborted) return;
          markStreamInterruption(error, {
            step: served.info.index,
            backend: served.info.backend,
            modelId: served.info.modelId,
            deliveredDeltas: delivered.deltas,
            deliveredChars: delivered.chars,
          });
          emitEvent(o.onEvent, { type: 'stream-interrupted', step: served.info.index, key: served.info.key, deliveredDeltas: delivered.deltas, error });
        },
      );
    },
  };
}

/**
 * An ordered fallback chain of embedders that all produce the same vectors: every step must have
 * the first step's model identity and vector size (e.g. the same model on two TEI servers).
 * Anything else is refused at construction with {@link IncompatibleEmbedderError}, because vectors
 * of another model would silently corrupt the index; let retrieval fall back to keyword search
 * instead. `usage.fallbackStep` says which step served.
 */
export function createFallbackEmbedder(steps: ReadonlyArray<EmbedderV1 | FallbackStep<EmbedderV1>>, options: FallbackEmbedderOptions = {}): EmbedderV1 {
  const built = buildSteps(steps, options, 'embed');
  const chain = built.steps;
  const o = built.options as FallbackEmbedderOptions;
  const primary = (chain[0] as ChainStep<EmbedderV1>).model;
  const compatible = o.compatible ?? sameEmbedderIdentity;
  for (const step of chain.slice(1)) {
    const candidate = step.model;
    const sameSize = primary.dimensions === undefined || candidate.dimensions === undefined || primary.dimensions === candidate.dimensions;
    if (!compatible(primary.identity, candidate.identity) || !sameSize) {
      throw new IncompatibleEmbedderError({
        backend: candidate.backend,
        modelId: candidate.modelId,
        message:
          `Embedder fallback step ${step.info.index} (${embedderIdentityKey(candidate.identity)}${candidate.dimensions ? `, ${candidate.dimensions} dims` : ''}) ` +
          `does not produce the vectors of step 0 (${embedderIdentityKey(primary.identity)}${primary.dimensions ? `, ${primary.dimensions} dims` : ''})`,
      });
    }
  }
  return delegateEmbedder(primary, async (call: EmbedOptions): Promise<EmbedResult> => {
    const { value, step } = await runChain(chain, o, 'embed', false, call.abortSignal, (s) =>
      s.runner.unary((signal) => s.model.embed(withSignal(call, signal)), call.abortSignal),
    );
    return { ...value, usage: { ...value.usage, fallbackStep: step.info.index } };
  });
}

/**
 * An ordered fallback chain of rerankers. Scores are compared only within one call, so any
 * reranker may follow another (a hosted cross-encoder, then a local one). `usage.fallbackStep`
 * says which step served.
 */
export function createFallbackReranker(steps: ReadonlyArray<RerankerV1 | FallbackStep<RerankerV1>>, options: FallbackChainOptions = {}): RerankerV1 {
  const built = buildSteps(steps, options, 'rerank');
  const chain = built.steps;
  const o = built.options;
  const primary = (chain[0] as ChainStep<RerankerV1>).model;
  return delegateReranker(primary, async (call: RerankOptions): Promise<RerankResult> => {
    const { value, step } = await runChain(chain, o, 'rerank', false, call.abortSignal, (s) =>
      s.runner.unary((signal) => s.model.rerank(withSignal(call, signal)), call.abortSignal),
    );
    return { ...value, usage: { ...value.usage, fallbackStep: step.info.index } };
  });
}
