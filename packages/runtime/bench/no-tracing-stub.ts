/**
 * The pipeline's tracing module with every call a pass-through: what the benchmark's baseline
 * loads instead of packages/pipeline/src/internal/pipeline-tracing.ts (see no-tracing-hooks.mjs),
 * so the pipeline runs as if it had no tracing code. Same exports, nothing else.
 */
import type { Span } from '@opentelemetry/api';

const NOT_RECORDING = { isRecording: () => false } as unknown as Span;
// Tells the benchmark this stub, not the real module, was loaded.
(globalThis as Record<symbol, unknown>)[Symbol.for('ragbridge.bench.no-tracing-stub')] = true;

export const PIPELINE_SPANS = {
  ask: 'ragbridge.ask',
  retrieve: 'ragbridge.retrieve',
  keyword: 'ragbridge.retrieve.keyword',
  dense: 'ragbridge.retrieve.dense',
  rerank: 'ragbridge.retrieve.rerank',
  answer: 'ragbridge.answer',
} as const;
export const inSpan = <T>(_name: string, run: (span: Span) => Promise<T>): Promise<T> => run(NOT_RECORDING);
export const inSpanStream = <T>(_name: string, open: () => AsyncIterable<T>): AsyncIterable<T> => open();
export const recordSpanFailure = (): void => undefined;
export const addActiveSpanEvent = (): void => undefined;
export const describeAnswer = (): void => undefined;
export const describeRetrieval = (): void => undefined;
export const describeAskUsage = (): void => undefined;
export const askAttributes = (): Record<string, never> => ({});
