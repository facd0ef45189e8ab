import {
  BudgetExceededError,
  createUsageEvent,
  delegateEmbedder,
  delegateReranker,
  estimateTokens,
  isAbortError,
  throwIfAborted,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatResult,
  type ChatStreamPart,
  type EmbedderV1,
  type EmbedResult,
  type ModelOperation,
  type RerankerV1,
  type RerankResult,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';
import type { BudgetTicket } from '../internal/budget-guard.js';
import { andThen, isPromise, type MaybePromise } from '../internal/maybe-promise.js';
import type { CallStatus } from '../ledger/usage-ledger.js';
import type { BudgetDecision, BudgetPolicy } from './budget-policy.js';
import type { CallPricer } from './call-pricer.js';
import type { CallScope, Recorded, UsageRecorder } from './usage-recorder.js';

/** Per-model options of the `wrap*` methods. */
export interface MonitoredModelOptions {
  /** Fallback chain position of this model, recorded as `fallbackStep` when the usage event says 0. @default 0 */
  fallbackStep?: number;
  /** Treat as local: $0 and never blocked by a dollar budget. @default true for the price book's local backends */
  local?: boolean;
}

/** One call in progress. */
interface CallContext {
  backend: string;
  modelId: string;
  operation: ModelOperation;
  streamed: boolean;
  local: boolean;
  fallbackStep: number;
  /** Requests the call sends (for `perRequest` prices). */
  requests: number;
  at: number;
  began: number;
  scope: CallScope;
  ticket: BudgetTicket;
}

type Tokens = () => { input: number; output: number };

/** Requests a batch call of `items` sends, with the adapters splitting at `maxBatchSize`. */
const requestsFor = (items: number, maxBatchSize: number): number => Math.max(1, Math.ceil(items / Math.max(1, maxBatchSize)));

/**
 * Wraps models so that every call is admitted by the budget policy first, then priced and recorded
 * (streams from their finish part; failed, aborted and abandoned calls with what they had used).
 */
export class MonitoredModels {
  constructor(
    private readonly parts: {
      recorder: UsageRecorder;
      policy: BudgetPolicy;
      pricer: CallPricer;
      clock: Clock;
      estimatedOutputTokens: number;
      /** Keeps a shared budget store's settlement for `flush()` and reports its failure. */
      background: (work: Promise<unknown>, what: string) => void;
    },
  ) {}

  /** A chat model that records every call (streams included), prices it and checks budgets first. */
  chat(model: ChatModelV1, opts: MonitoredModelOptions): ChatModelV1 {
    const generate = (call: ChatCallOptions): Promise<ChatResult> => {
      throwIfAborted(call.abortSignal, { backend: model.backend, modelId: model.modelId });
      return this.measure(model, 'chat', 1, opts, this.chatTokens(call), () => model.generate(call));
    };
    const stream = (call: ChatCallOptions): AsyncIterable<ChatStreamPart> => ({ [Symbol.asyncIterator]: () => this.monitorStream(model, call, opts) });
    return {
      specificationVersion: 'v1',
      get backend() {
        return model.backend;
      },
      get modelId() {
        return model.modelId;
      },
      generate,
      stream,
    };
  }

  /** An embedder that records, prices and checks budgets. */
  embedder(embedder: EmbedderV1, opts: MonitoredModelOptions): EmbedderV1 {
    return delegateEmbedder(embedder, async (call): Promise<EmbedResult> => {
      throwIfAborted(call.abortSignal, { backend: embedder.backend, modelId: embedder.modelId });
      if (call.texts.length === 0) return embedder.embed(call);
      const tokens: Tokens = () => ({ input: call.texts.reduce((n, t) => n + estimateTokens(t), 0), output: 0 });
      return this.measure(embedder, 'embed', requestsFor(call.texts.length, embedder.maxBatchSize), opts, tokens, () => embedder.embed(call));
    });
  }

  /** A reranker that records, prices and checks budgets. */
  reranker(reranker: RerankerV1, opts: MonitoredModelOptions): RerankerV1 {
    return delegateReranker(reranker, async (call): Promise<RerankResult> => {
      throwIfAborted(call.abortSignal, { backend: reranker.backend, modelId: reranker.modelId });
      if (call.texts.length === 0) return reranker.rerank(call);
      const q = estimateTokens(call.query);
      const tokens: Tokens = () => ({ input: call.texts.reduce((n, t) => n + q + estimateTokens(t), 0), output: 0 });
      return this.measure(reranker, 'rerank', requestsFor(call.texts.length, reranker.maxBatchSize), opts, tokens, () => reranker.rerank(call));
    });
  }

  private chatTokens(call: ChatCallOptions): Tokens {
    return () => ({
      input: Array.isArray(call.messages) ? call.messages.reduce((n, m) => n + estimateTokens(m.content), 0) : 0,
      output: call.maxTokens ?? this.parts.estimatedOutputTokens,
    });
  }

  private async *monitorStream(model: ChatModelV1, call: ChatCallOptions, opts: MonitoredModelOptions): AsyncGenerator<ChatStreamPart> {
    throwIfAborted(call.abortSignal, { backend: model.backend, modelId: model.modelId });
    const tokens = this.chatTokens(call);
    const begun = this.begin(model, 'chat', true, 1, opts, tokens);
    // Only a shared budget store answers asynchronously; the in-process one adds no await.
    const ctx = isPromise(begun) ? await begun : begun;
    let text = '';
    let settled = false;
    const partial = (): { input: number; output: number } => ({ input: tokens().input, output: estimateTokens(text) });
    try {
      for await (const part of model.stream(call)) {
        if (part.type === 'text-delta') {
          text += part.delta;
          yield part;
        } else {
          settled = true;
          yield { ...part, usage: this.succeed(ctx, part.usage) };
        }
      }
    } catch (error) {
      if (!settled) {
        settled = true;
        this.fail(ctx, error, text ? partial() : undefined);
      }
      throw error;
    } finally {
      // The consumer stopped reading before the finish part: the usage never arrived, so
      // record what was streamed, estimated, rather than lose the call.
      if (!settled) this.fail(ctx, new DOMException('The stream was closed before it finished', 'AbortError'), partial(), 'aborted');
    }
  }

  /** Runs one non-streamed call: admit (budgets), then record success or failure. */
  private async measure<R extends { usage: UsageEvent }>(
    model: { backend: string; modelId: string },
    operation: ModelOperation,
    requests: number,
    opts: MonitoredModelOptions,
    tokens: Tokens,
    run: () => Promise<R>,
  ): Promise<R> {
    const begun = this.begin(model, operation, false, requests, opts, tokens);
    const ctx = isPromise(begun) ? await begun : begun;
    let result: R;
    try {
      result = await run();
    } catch (error) {
      this.fail(ctx, error);
      throw error;
    }
    return { ...result, usage: this.succeed(ctx, result.usage) };
  }

  /** Asks the budget policy; a refused call is recorded as `blocked` and rejects with BudgetExceededError. */
  private begin(
    model: { backend: string; modelId: string },
    operation: ModelOperation,
    streamed: boolean,
    requests: number,
    opts: MonitoredModelOptions,
    tokens: Tokens,
  ): MaybePromise<CallContext> {
    const { recorder, policy, pricer, clock } = this.parts;
    const local = opts.local ?? pricer.prices.isLocal(model.backend);
    const scope = recorder.scope();
    const at = clock.now();
    const call = { backend: model.backend, modelId: model.modelId, operation, streamed, local, fallbackStep: opts.fallbackStep ?? 0, requests, at, scope };
    const decision = policy.admit({ backend: model.backend, modelId: model.modelId, operation, local, scope, requests, tokens });
    return andThen(decision, (d) => this.started(call, d));
  }

  /** The context of an admitted call; a refused one is recorded as `blocked` and throws BudgetExceededError. */
  private started(call: Omit<CallContext, 'ticket' | 'began'>, decision: BudgetDecision): CallContext {
    if (decision.ok) return { ...call, began: performance.now(), ticket: decision.ticket };
    const { recorder, pricer } = this.parts;
    const { backend, modelId, operation, streamed, at, local, scope } = call;
    const usage = createUsageEvent({ backend, modelId, operation, streamed, inputTokens: 0, items: 0, startedAt: at, latencyMs: 0 });
    // Nothing was called: the row costs $0 and says only how the model is priced.
    const state = local ? 'local' : pricer.prices.quote({ backend, modelId, inputTokens: 0, outputTokens: 0, requests: 0 }).state;
    recorder.record(usage, { costUsd: 0, state }, { status: 'blocked', at, errorName: 'BudgetExceededError', scope });
    throw new BudgetExceededError({ backend, modelId, message: decision.message, hint: decision.hint });
  }

  /** Prices and records a finished call; returns its usage with `costUsd` and `fallbackStep` set. */
  private succeed(ctx: CallContext, usage: UsageEvent): UsageEvent {
    const { recorder, pricer } = this.parts;
    const price = pricer.quote(usage, { local: ctx.local, requests: ctx.requests, at: ctx.at });
    const final: UsageEvent = { ...usage, costUsd: price.costUsd, fallbackStep: usage.fallbackStep || ctx.fallbackStep };
    this.settle(ctx, recorder.record(final, price, { status: 'ok', at: ctx.at, scope: ctx.scope }));
    return final;
  }

  /** Records a failed call (with estimated tokens when a stream had produced some output). */
  private fail(ctx: CallContext, error: unknown, partial?: { input: number; output: number }, status?: CallStatus): void {
    const { recorder, pricer } = this.parts;
    const usage = createUsageEvent({
      backend: ctx.backend,
      modelId: ctx.modelId,
      operation: ctx.operation,
      streamed: ctx.streamed,
      inputTokens: partial?.input ?? 0,
      outputTokens: partial?.output ?? 0,
      tokensEstimated: partial !== undefined,
      items: 0,
      startedAt: ctx.at,
      latencyMs: performance.now() - ctx.began,
      fallbackStep: ctx.fallbackStep,
    });
    // Nothing was served, so no request is charged; the endpoint was woken all the same.
    const price = pricer.quote(usage, { local: ctx.local, requests: 0, at: ctx.at });
    const name = typeof (error as { name?: unknown })?.name === 'string' ? (error as { name: string }).name : 'Error';
    this.settle(ctx, recorder.record(usage, price, { status: status ?? (isAbortError(error) ? 'aborted' : 'error'), at: ctx.at, errorName: name, scope: ctx.scope }));
  }

  /** Replaces the call's reservation with what its recorded row says it spent. */
  private settle(ctx: CallContext, { entry, written }: Recorded): void {
    const pending = this.parts.policy.settle(ctx.ticket, entry, written);
    if (pending) this.parts.background(pending, 'Releasing a budget reservation');
  }
}
