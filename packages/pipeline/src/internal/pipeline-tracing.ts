import { context, INVALID_TRACEID, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { redactSecrets, type Answer, type UsageEvent } from '@ragbridge/core-interfaces';
import type { RetrievalResult } from '../retrieval/retriever.js';

/** The instrumentation scope of the pipeline's spans. */
const TRACER_NAME = '@ragbridge/pipeline';

/** The spans of one question, parents first (docs/observability.md lists their attributes). */
export const PIPELINE_SPANS = {
  ask: 'ragbridge.ask',
  retrieve: 'ragbridge.retrieve',
  keyword: 'ragbridge.retrieve.keyword',
  dense: 'ragbridge.retrieve.dense',
  rerank: 'ragbridge.retrieve.rerank',
  answer: 'ragbridge.answer',
} as const;

/**
 * Starts a span under the active one. Without an OpenTelemetry SDK registered, the API's no-op
 * tracer returns a non-recording span: callers set attributes only when `span.isRecording()`.
 */
function startSpan(name: string, parent: Context): Span {
  return trace.getTracer(TRACER_NAME).startSpan(name, undefined, parent);
}

/**
 * A span of the API's no-op tracer (no SDK registered, no trace to continue): it records nothing
 * and has no context worth passing on, so the code it wraps runs as if it were not there. A
 * span an SDK chose not to sample still has a trace id, which inner spans must inherit.
 */
export function isNoopSpan(span: Span): boolean {
  return !span.isRecording() && span.spanContext().traceId === INVALID_TRACEID;
}

/** Marks a span as failed: `error.type` (the error's name), ERROR status, an `exception` event without secrets. */
export function recordSpanFailure(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const name = error instanceof Error ? error.name : 'Error';
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  span.setAttribute('error.type', name);
  span.recordException({ name, message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Runs `run` with a new span active (so model calls and inner stages nest under it); the span ends when it settles. */
export function inSpan<T>(name: string, run: (span: Span) => Promise<T>): Promise<T> {
  const parent = context.active();
  const span = startSpan(name, parent);
  return isNoopSpan(span) ? run(span) : runInSpan(span, parent, run);
}

async function runInSpan<T>(span: Span, parent: Context, run: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), run, undefined, span);
  } catch (error) {
    recordSpanFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * A stream whose iteration runs in a new span: the span starts at the first `next()`, each
 * `next()` runs with it active (an async generator's body runs in its caller's context, so inner
 * spans and model calls would otherwise lose their parent), and it ends when the stream finishes,
 * fails or the reader stops. The hooks run only while the span records: `start` when it starts,
 * `part` with each part (e.g. to set attributes from the last one).
 */
export function inSpanStream<T>(
  name: string,
  open: () => AsyncIterable<T>,
  hooks: { start?: (span: Span) => void; part?: (span: Span, part: T) => void } = {},
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      let state: { span: Span; active: Context | undefined; iterator: AsyncIterator<T> } | undefined;
      let ended = false;
      const end = (error?: unknown): void => {
        if (ended || !state) return;
        ended = true;
        if (error !== undefined) recordSpanFailure(state.span, error);
        state.span.end();
      };
      const started = (): NonNullable<typeof state> => {
        if (state) return state;
        const parent = context.active();
        const span = startSpan(name, parent);
        if (isNoopSpan(span)) {
          // Nothing to record or pass on: the stream is read as it is.
          state = { span, active: undefined, iterator: open()[Symbol.asyncIterator]() };
          return state;
        }
        if (hooks.start && span.isRecording()) hooks.start(span);
        const active = trace.setSpan(parent, span);
        state = { span, active, iterator: context.with(active, () => open()[Symbol.asyncIterator]()) };
        return state;
      };
      return {
        async next() {
          const { span, active, iterator } = started();
          let result: IteratorResult<T>;
          try {
            result = await (active ? context.with(active, () => iterator.next()) : iterator.next());
          } catch (error) {
            end(error);
            throw error;
          }
          if (result.done) end();
          else if (hooks.part && span.isRecording()) hooks.part(span, result.value);
          return result;
        },
        async return(value?: unknown) {
          if (!state) return { done: true, value: value as T };
          try {
            const { active, iterator } = state;
            const close = () => iterator.return?.(value);
            return (await (active ? context.with(active, close) : close())) ?? { done: true, value: value as T };
          } finally {
            end();
          }
        },
      };
    },
  };
}

/** Adds an event to the active span (e.g. a fallback the pipeline took), when one is recording. */
export function addActiveSpanEvent(name: string, attributes: () => Record<string, string | number | boolean>): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes());
}

/** Attributes of an answer, on the `ragbridge.answer` span. */
export function describeAnswer(span: Span, answer: Answer): void {
  span.setAttributes({
    'ragbridge.answer.mode': answer.mode,
    'ragbridge.answer.refused': answer.refused,
    'ragbridge.answer.citations': answer.citations.length,
    'ragbridge.answer.sources': answer.sources.length,
    ...(answer.interrupted && { 'ragbridge.answer.interrupted': true }),
  });
}

/** Attributes of a retrieval, on the `ragbridge.retrieve` span. */
export function describeRetrieval(span: Span, retrieval: RetrievalResult): void {
  span.setAttributes({
    'ragbridge.retrieve.hits': retrieval.hits.length,
    'ragbridge.retrieve.coverage': retrieval.evidence.coverage,
    ...(retrieval.queryEmbedFailure && { 'ragbridge.retrieve.keyword_only': true }),
  });
}

/**
 * What a question cost, on the `ragbridge.ask` span: the priced calls' dollars summed (each model
 * call's span carries its own `ragbridge.usage.cost_usd`); absent when no call was priced.
 */
export function describeAskUsage(span: Span, usage: readonly UsageEvent[]): void {
  let cost = 0;
  let priced = false;
  for (const event of usage) {
    if (event.costUsd === null) continue;
    cost += event.costUsd;
    priced = true;
  }
  if (priced) span.setAttribute('ragbridge.ask.cost_usd', cost);
}

/** The span attributes of a call's options (`ragbridge.ask.*`). */
export function askAttributes(streamed: boolean, options: { k?: number | undefined; history?: readonly unknown[] | undefined }): Record<string, string | number | boolean> {
  return {
    'ragbridge.ask.streamed': streamed,
    ...(options.k !== undefined && { 'ragbridge.ask.k': options.k }),
    ...(options.history && { 'ragbridge.ask.history_turns': options.history.length }),
  };
}
