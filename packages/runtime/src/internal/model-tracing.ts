import { INVALID_TRACEID, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import {
  delegateChatModel,
  delegateEmbedder,
  delegateReranker,
  redactSecrets,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatStreamPart,
  type EmbedderV1,
  type FinishReason,
  type ModelOperation,
  type RerankerV1,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import type { ResilienceEvent, ResilienceEventListener } from '@ragbridge/resilience';

/** The instrumentation scope of the model-call spans. */
const TRACER_NAME = '@ragbridge/runtime';

/**
 * `gen_ai.operation.name` of each model operation (OpenTelemetry GenAI semantic conventions);
 * reranking has no name there, so it keeps its own.
 */
const GEN_AI_OPERATIONS: Readonly<Record<ModelOperation, string>> = { chat: 'chat', embed: 'embeddings', rerank: 'rerank' };

/** Finish reasons as the conventions spell them (OpenAI's values). */
const GEN_AI_FINISH_REASONS: Readonly<Record<FinishReason, string>> = { stop: 'stop', length: 'length', 'content-filter': 'content_filter', other: 'other' };

/** The chain step a traced model serves. */
export interface TracedStep {
  /** Position in its fallback chain (0 = first choice). */
  index: number;
  /** Its breaker key (`backend:model`, or the configured key). */
  key: string;
  local: boolean;
}

/**
 * Starts the span of one model call, named `{operation} {model}` as the GenAI conventions say,
 * under the active span (the pipeline stage that asked). `request` runs only when the span records.
 */
function startModelSpan(model: { backend: string; modelId: string }, operation: ModelOperation, step: TracedStep, request?: () => Attributes): Span {
  const name = GEN_AI_OPERATIONS[operation];
  const span = trace.getTracer(TRACER_NAME).startSpan(`${name} ${model.modelId}`, { kind: SpanKind.CLIENT });
  if (!span.isRecording()) return span;
  span.setAttributes({
    'gen_ai.operation.name': name,
    'gen_ai.provider.name': model.backend,
    // The name before semantic conventions 1.37, still the one some trace viewers read.
    'gen_ai.system': model.backend,
    'gen_ai.request.model': model.modelId,
    'ragbridge.step.index': step.index,
    'ragbridge.step.key': step.key,
    'ragbridge.step.local': step.local,
    ...request?.(),
  });
  return span;
}

/** A span of the API's no-op tracer (no SDK registered): the call runs as if it were not wrapped. */
const isNoopSpan = (span: Span): boolean => !span.isRecording() && span.spanContext().traceId === INVALID_TRACEID;

/** What a finished call reports: served model, tokens, cost (USD, from the cost monitor), finish reason. */
function describeUsage(span: Span, usage: UsageEvent, finishReason?: FinishReason): void {
  span.setAttributes({
    'gen_ai.response.model': usage.modelId,
    'gen_ai.usage.input_tokens': usage.inputTokens,
    ...(usage.operation === 'chat' && { 'gen_ai.usage.output_tokens': usage.outputTokens }),
    ...(usage.reasoningTokens !== undefined && { 'gen_ai.usage.reasoning.output_tokens': usage.reasoningTokens }),
    ...(finishReason && { 'gen_ai.response.finish_reasons': [GEN_AI_FINISH_REASONS[finishReason]] }),
    ...(usage.costUsd !== null && { 'ragbridge.usage.cost_usd': usage.costUsd }),
    'ragbridge.usage.tokens_estimated': usage.tokensEstimated,
    ...(usage.operation !== 'chat' && { 'ragbridge.usage.items': usage.items }),
    ...(usage.provider && { 'ragbridge.usage.provider': usage.provider }),
    ...(usage.requestId && { 'ragbridge.usage.request_id': usage.requestId }),
  });
}

/** Marks a call's span as failed: `error.type` (the error class), the HTTP status, an `exception` event without secrets. */
function recordFailure(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const name = error instanceof Error ? error.name : 'Error';
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  span.setAttributes({ 'error.type': name, ...(typeof status === 'number' && { 'http.response.status_code': status }) });
  span.recordException({ name, message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Runs one unary call inside its span. */
function traced<R extends { usage: UsageEvent }>(span: Span, run: () => Promise<R>, finishReason?: (result: R) => FinishReason): Promise<R> {
  return isNoopSpan(span) ? run() : recorded(span, run, finishReason);
}

async function recorded<R extends { usage: UsageEvent }>(span: Span, run: () => Promise<R>, finishReason?: (result: R) => FinishReason): Promise<R> {
  try {
    const result = await run();
    if (span.isRecording()) describeUsage(span, result.usage, finishReason?.(result));
    return result;
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

function chatRequest(call: ChatCallOptions): () => Attributes {
  return () => ({
    ...(call.maxTokens !== undefined && { 'gen_ai.request.max_tokens': call.maxTokens }),
    ...(call.temperature !== undefined && { 'gen_ai.request.temperature': call.temperature }),
    ...(call.seed !== undefined && { 'gen_ai.request.seed': call.seed }),
  });
}

/** A stream inside its span, which started when reading did: until the finish part, a failure, or the reader stopping. */
async function* tracedStream(span: Span, parts: AsyncIterable<ChatStreamPart>): AsyncGenerator<ChatStreamPart> {
  let settled = false;
  try {
    for await (const part of parts) {
      if (part.type === 'finish') {
        settled = true;
        if (span.isRecording()) describeUsage(span, part.usage, part.finishReason);
      }
      yield part;
    }
  } catch (error) {
    settled = true;
    recordFailure(span, error);
    throw error;
  } finally {
    if (!settled && span.isRecording()) span.setAttribute('ragbridge.stream.closed_early', true);
    span.end();
  }
}

/** A chat model whose every call (stream or not) is one GenAI span. */
export function traceChatModel(model: ChatModelV1, step: TracedStep): ChatModelV1 {
  return delegateChatModel(model, {
    generate: (call) =>
      traced(
        startModelSpan(model, 'chat', step, chatRequest(call)),
        () => model.generate(call),
        (result) => result.finishReason,
      ),
    stream: (call) => ({
      [Symbol.asyncIterator]: () => {
        const span = startModelSpan(model, 'chat', step, chatRequest(call));
        const parts = model.stream(call);
        return isNoopSpan(span) ? parts[Symbol.asyncIterator]() : tracedStream(span, parts);
      },
    }),
  });
}

/** An embedder whose every call is one GenAI `embeddings` span. */
export function traceEmbedder(embedder: EmbedderV1, step: TracedStep): EmbedderV1 {
  return delegateEmbedder(embedder, (call) =>
    traced(startModelSpan(embedder, 'embed', step, () => ({ 'ragbridge.request.items': call.texts.length })), () => embedder.embed(call)),
  );
}

/** A reranker whose every call is one `rerank` span. */
export function traceReranker(reranker: RerankerV1, step: TracedStep): RerankerV1 {
  return delegateReranker(reranker, (call) =>
    traced(startModelSpan(reranker, 'rerank', step, () => ({ 'ragbridge.request.items': call.texts.length })), () => reranker.rerank(call)),
  );
}

/** A resilience event as a span event: its name and attributes (undefined: not worth an event). */
function spanEvent(event: ResilienceEvent): [string, Attributes] | undefined {
  const errorType = (error: unknown): string => (error instanceof Error ? error.name : 'Error');
  switch (event.type) {
    case 'attempt-failed':
      return event.retryInMs === undefined
        ? ['ragbridge.retry.gave_up', { 'ragbridge.step.key': event.key, 'ragbridge.retry.attempt': event.attempt, 'ragbridge.retry.reason': event.giveUpReason ?? 'unknown', 'error.type': errorType(event.error) }]
        : ['ragbridge.retry', { 'ragbridge.step.key': event.key, 'ragbridge.retry.attempt': event.attempt, 'ragbridge.retry.delay_ms': event.retryInMs, 'error.type': errorType(event.error) }];
    case 'circuit-state':
      return ['ragbridge.circuit_breaker', { 'ragbridge.step.key': event.key, 'ragbridge.circuit_breaker.from': event.from, 'ragbridge.circuit_breaker.to': event.to, 'ragbridge.circuit_breaker.failure_rate': event.failureRate }];
    case 'step-failed':
      return ['ragbridge.fallback.step_failed', { 'ragbridge.step.index': event.step, 'ragbridge.step.key': event.key, 'error.type': errorType(event.error) }];
    case 'step-skipped':
      return ['ragbridge.fallback.step_skipped', { 'ragbridge.step.index': event.step, 'ragbridge.step.key': event.key, 'ragbridge.fallback.reason': event.reason }];
    case 'step-served':
      // The first choice serving is the normal case; a later step serving is the fallback.
      return event.step === 0 ? undefined : ['ragbridge.fallback.served', { 'ragbridge.step.index': event.step, 'ragbridge.step.key': event.key }];
    case 'stream-interrupted':
      return ['ragbridge.stream.interrupted', { 'ragbridge.step.index': event.step, 'ragbridge.step.key': event.key, 'ragbridge.stream.delivered_deltas': event.deliveredDeltas, 'error.type': errorType(event.error) }];
  }
}

/**
 * A resilience listener that first adds each event to the active span (the pipeline stage whose
 * model call retried, opened a breaker or fell back), then calls `next`.
 */
export function withSpanEvents(next: ResilienceEventListener | undefined): ResilienceEventListener {
  return (event) => {
    const span = trace.getActiveSpan();
    if (span?.isRecording()) {
      const described = spanEvent(event);
      if (described) span.addEvent(...described);
    }
    next?.(event);
  };
}
