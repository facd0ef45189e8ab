import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { ChatModelV1 } from '@ragbridge/core-interfaces';
import { createMockChatModel, createMockEmbedder, createMockReranker } from '@ragbridge/core-interfaces/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPipeline, type PipelineOptions } from './pipeline.js';
import { openSqliteStore, type SqliteStore } from './store/sqlite-store.js';

const GUIDE = `# Registers

The RV32I base integer instruction set has thirty-two general purpose registers named x0 to x31.
Register x0 is hardwired to the constant zero, so writes to it are always ignored by the hardware.

# Encoding

The funct3 field selects the operation within a major opcode for most of the instruction formats.
`;
const QUESTION = 'Which register is hardwired to the constant zero?';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => provider.register());
afterAll(() => provider.shutdown());

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rb-pipeline-tracing-'));
  writeFileSync(join(dir, 'guide.md'), GUIDE);
  store = openSqliteStore({ path: ':memory:' });
  await createPipeline({ store, embedder: createMockEmbedder() }).ingest([join(dir, 'guide.md')], { workers: 0 });
  exporter.reset();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A chat model that opens a span per call, as the runtime's model-call spans do, to see which span is active then. */
function probedChatModel(): ChatModelV1 {
  const inner = createMockChatModel();
  const tracer = trace.getTracer('probe');
  return {
    ...inner,
    generate: (call) => tracer.startActiveSpan('probe generate', (span) => inner.generate(call).finally(() => span.end())),
    stream: (call) => ({
      async *[Symbol.asyncIterator]() {
        const span = tracer.startSpan('probe stream');
        try {
          yield* inner.stream(call);
        } finally {
          span.end();
        }
      },
    }),
  };
}

/** The finished spans by name (each name once), and a check that `child` hangs under `parent`. */
function spanTree(): { byName: (name: string) => ReadableSpan; parentOf: (name: string) => string | undefined; names: string[] } {
  const spans = exporter.getFinishedSpans();
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const byName = (name: string): ReadableSpan => {
    const found = spans.filter((s) => s.name === name);
    expect(found, `one span named ${name}`).toHaveLength(1);
    return found[0] as ReadableSpan;
  };
  return {
    byName,
    parentOf: (name) => {
      const parent = byName(name).parentSpanContext?.spanId;
      return parent === undefined ? undefined : byId.get(parent)?.name;
    },
    names: spans.map((s) => s.name).sort(),
  };
}

/** Runs each question in an async context of its own, as the runtime's usage tracker does. */
const trackingRunQuery = (): NonNullable<PipelineOptions['runQuery']> => {
  const storage = new AsyncLocalStorage<number>();
  let n = 0;
  return (query) => storage.run(++n, query);
};

describe('pipeline spans', () => {
  it('ask → retrieve (keyword, dense, rerank) → answer, with the model call under the answer and one trace', async () => {
    const pipeline = createPipeline({ store, embedder: createMockEmbedder(), reranker: createMockReranker(), chatModel: probedChatModel(), runQuery: trackingRunQuery() });
    const { answer } = await pipeline.ask(QUESTION, { k: 4 });
    expect(answer.mode).toBe('generative');

    const tree = spanTree();
    expect(tree.names).toEqual(['probe generate', 'ragbridge.answer', 'ragbridge.ask', 'ragbridge.retrieve', 'ragbridge.retrieve.dense', 'ragbridge.retrieve.keyword', 'ragbridge.retrieve.rerank']);
    expect(tree.parentOf('ragbridge.ask')).toBeUndefined();
    expect(tree.parentOf('ragbridge.retrieve')).toBe('ragbridge.ask');
    for (const stage of ['keyword', 'dense', 'rerank']) expect(tree.parentOf(`ragbridge.retrieve.${stage}`)).toBe('ragbridge.retrieve');
    expect(tree.parentOf('ragbridge.answer')).toBe('ragbridge.ask');
    expect(tree.parentOf('probe generate')).toBe('ragbridge.answer');
    expect(new Set(exporter.getFinishedSpans().map((s) => s.spanContext().traceId)).size).toBe(1);

    expect(tree.byName('ragbridge.ask').attributes).toMatchObject({ 'ragbridge.ask.streamed': false, 'ragbridge.ask.k': 4 });
    expect(tree.byName('ragbridge.retrieve').attributes).toMatchObject({ 'ragbridge.retrieve.hits': expect.any(Number), 'ragbridge.retrieve.coverage': expect.any(Number) });
    expect(tree.byName('ragbridge.retrieve.keyword').attributes['ragbridge.retrieve.candidates']).toBeGreaterThan(0);
    expect(tree.byName('ragbridge.answer').attributes).toMatchObject({
      'ragbridge.answer.mode': 'generative',
      'ragbridge.answer.refused': false,
      'ragbridge.answer.citations': answer.citations.length,
    });
    for (const span of exporter.getFinishedSpans()) expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('askStream: the same tree, the model stream under the answer span even when the question runs in its own async context', async () => {
    const pipeline = createPipeline({ store, embedder: createMockEmbedder(), chatModel: probedChatModel(), runQuery: trackingRunQuery() });
    const parts: string[] = [];
    for await (const part of pipeline.askStream(QUESTION)) parts.push(part.type);
    expect(parts.at(-1)).toBe('answer');

    const tree = spanTree();
    expect(tree.names).toEqual(['probe stream', 'ragbridge.answer', 'ragbridge.ask', 'ragbridge.retrieve', 'ragbridge.retrieve.dense', 'ragbridge.retrieve.keyword']);
    expect(tree.parentOf('ragbridge.retrieve')).toBe('ragbridge.ask');
    expect(tree.parentOf('ragbridge.answer')).toBe('ragbridge.ask');
    expect(tree.parentOf('probe stream')).toBe('ragbridge.answer');
    expect(tree.byName('ragbridge.ask').attributes['ragbridge.ask.streamed']).toBe(true);
    expect(tree.byName('ragbridge.answer').attributes['ragbridge.answer.mode']).toBe('generative');
  });

  it('a reader that stops after the retrieval still ends every span', async () => {
    const pipeline = createPipeline({ store, chatModel: probedChatModel(), runQuery: trackingRunQuery() });
    for await (const part of pipeline.askStream(QUESTION)) {
      if (part.type === 'retrieval') break;
    }
    const names = spanTree().names;
    expect(names).toContain('ragbridge.ask');
    expect(names).toContain('ragbridge.retrieve');
  });

  it('fallbacks are events of the stage that fell back: keyword-only retrieval, extractive answer', async () => {
    const embedder = createMockEmbedder();
    embedder.faults.inject('server-error');
    const chatModel = createMockChatModel();
    chatModel.faults.inject('server-error');
    const pipeline = createPipeline({ store, embedder, chatModel, keywordFallback: true, extractiveFallback: true });
    expect((await pipeline.ask(QUESTION)).answer.mode).toBe('extractive');

    const tree = spanTree();
    const retrieve = tree.byName('ragbridge.retrieve');
    expect(retrieve.attributes['ragbridge.retrieve.keyword_only']).toBe(true);
    expect(retrieve.events.map((e) => [e.name, e.attributes])).toEqual([['ragbridge.fallback', { 'ragbridge.fallback.part': 'query-embedding', 'error.type': 'ServerError' }]]);
    const answer = tree.byName('ragbridge.answer');
    expect(answer.attributes['ragbridge.answer.mode']).toBe('extractive');
    expect(answer.events.map((e) => [e.name, e.attributes])).toEqual([['ragbridge.fallback', { 'ragbridge.fallback.part': 'chat', 'error.type': 'ServerError' }]]);
    expect(answer.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('a failure without fallback marks the answer and the ask as failed, with error.type and no secret in the exception', async () => {
    const token = 'hf_abcdefghijklmnop0123';
    const chatModel: ChatModelV1 = {
      ...createMockChatModel(),
      generate: () => Promise.reject(Object.assign(new Error(`401 for Bearer ${token}`), { name: 'AuthenticationError' })),
    };
    const pipeline = createPipeline({ store, chatModel });
    await expect(pipeline.ask(QUESTION)).rejects.toMatchObject({ name: 'AuthenticationError' });

    const tree = spanTree();
    for (const name of ['ragbridge.answer', 'ragbridge.ask']) {
      const span = tree.byName(name);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('AuthenticationError');
      expect(JSON.stringify(span.events)).not.toContain(token);
      expect(span.status.message).not.toContain(token);
    }
  });
});
