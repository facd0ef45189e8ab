import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { resolveConfig } from '@ragbridge/config-profiles';
import { type FakeServer } from '@ragbridge/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, writeCorpus, openFakeHf, closeFakeHf } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

const TOKEN = 'hf_RuntimeTracingToken0123456789';
const ENV = { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' };
const CHAT_MODEL = 'openai/gpt-oss-20b';
const EMBED_MODEL = 'BAAI/bge-small-en-v1.5';
const RERANK_MODEL = 'cross-encoder/ms-marco-MiniLM-L6-v2';
const QUESTION = 'What does the funct3 field select?';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => provider.register());
afterAll(() => provider.shutdown());

/** Finished spans: by name, the name of a span's parent, and the events of a span. */
function spans() {
  const all = exporter.getFinishedSpans();
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const named = (name: string): ReadableSpan[] => all.filter((s) => s.name === name);
  const one = (name: string): ReadableSpan => {
    const found = named(name);
    expect(found, `one span named ${name} among ${all.map((s) => s.name).join(', ')}`).toHaveLength(1);
    return found[0] as ReadableSpan;
  };
  const parentName = (span: ReadableSpan): string | undefined => byId.get(span.parentSpanContext?.spanId ?? '')?.name;
  const events = (span: ReadableSpan): Array<[string, Record<string, unknown>]> => span.events.map((e) => [e.name, { ...e.attributes }]);
  return { all, named, one, parentName, events };
}

describe('runtime spans: one GenAI span per model call, resilience as span events (hf-spaces on the fake services)', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let hf: FakeServer;
  let runtime: Runtime | undefined;
  let toFake: typeof fetch;

  beforeEach(async () => {
    ({ corpus, hf, toFake } = await openFakeHf({ token: TOKEN }));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await closeFakeHf({ corpus, hf, toFake });
  });

  async function start(overrides: unknown = undefined): Promise<Runtime> {
    const config = await resolveConfig({ profile: 'hf-spaces', cwd: corpus.dir, env: ENV, ...(overrides !== undefined && { overrides }) });
    runtime = await createRuntime({
      config,
      env: ENV,
      fetch: toFake,
      baseDir: corpus.dir,
      storePath: ':memory:',
      ledgerPath: ':memory:',
      embeddingCachePath: ':memory:',
      logger: memoryLogger(),
    });
    await runtime.pipeline.ingest([corpus.pdf], { workers: 0 });
    exporter.reset();
    return runtime;
  }

  it('each call under the stage that made it, with the GenAI attributes, finish reason and the cost monitor’s price', async () => {
    const rt = await start();
    const { answer } = await rt.pipeline.ask(QUESTION);
    expect(answer.mode).toBe('generative');

    const s = spans();
    const chat = s.one(`chat ${CHAT_MODEL}`);
    const embed = s.one(`embeddings ${EMBED_MODEL}`);
    const rerank = s.one(`rerank ${RERANK_MODEL}`);
    expect([s.parentName(chat), s.parentName(embed), s.parentName(rerank)]).toEqual(['ragbridge.answer', 'ragbridge.retrieve.dense', 'ragbridge.retrieve.rerank']);
    expect(new Set(s.all.map((span) => span.spanContext().traceId)).size).toBe(1);

    const chatUsage = answer.usage.find((u) => u.operation === 'chat');
    expect(chatUsage?.costUsd).toBeGreaterThan(0);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.instrumentationScope.name).toBe('@ragbridge/runtime');
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'hf-inference-providers',
      'gen_ai.system': 'hf-inference-providers',
      'gen_ai.request.model': CHAT_MODEL,
      'gen_ai.response.model': CHAT_MODEL,
      'gen_ai.usage.input_tokens': chatUsage?.inputTokens,
      'gen_ai.usage.output_tokens': chatUsage?.outputTokens,
      'gen_ai.response.finish_reasons': ['stop'],
      'ragbridge.usage.cost_usd': chatUsage?.costUsd,
      'ragbridge.usage.provider': 'groq',
      'ragbridge.step.index': 0,
      'ragbridge.step.key': `hf-inference-providers:${CHAT_MODEL}`,
      'ragbridge.step.local': false,
    });
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(embed.attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': EMBED_MODEL, 'ragbridge.request.items': 1 });
    expect(embed.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(embed.attributes).not.toHaveProperty('gen_ai.usage.output_tokens');
    expect(rerank.attributes).toMatchObject({ 'gen_ai.operation.name': 'rerank', 'gen_ai.request.model': RERANK_MODEL });
    // The question's total on its root span: every priced call summed.
    const total = answer.usage.reduce((sum, u) => sum + (u.costUsd ?? 0), 0);
    expect(s.one('ragbridge.ask').attributes['ragbridge.ask.cost_usd']).toBeCloseTo(total, 12);
    for (const span of s.all) expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(JSON.stringify(s.all.map((span) => [span.attributes, span.events]))).not.toContain(TOKEN);

    // Asked again: the answer comes from the cache, no model is called, so no chat span.
    exporter.reset();
    await rt.pipeline.ask(QUESTION);
    expect(spans().named(`chat ${CHAT_MODEL}`)).toEqual([]);
  });

  it('a stream: the chat span under the answer span, ended at the finish part with its usage', async () => {
    const rt = await start();
    let text = '';
    for await (const part of rt.pipeline.askStream('What does the funct7 field distinguish?')) if (part.type === 'text-delta') text += part.delta;
    expect(text.length).toBeGreaterThan(0);
    const s = spans();
    const chat = s.one(`chat ${CHAT_MODEL}`);
    expect(s.parentName(chat)).toBe('ragbridge.answer');
    expect(s.parentName(s.one('ragbridge.answer'))).toBe('ragbridge.ask');
    expect(chat.attributes).toMatchObject({ 'gen_ai.response.finish_reasons': ['stop'], 'gen_ai.usage.output_tokens': expect.any(Number) });
    expect(chat.attributes['ragbridge.usage.cost_usd']).toBeGreaterThan(0);
  });

  it('a retried call is two attempt spans, the retry an event of the stage; a fallback is events and the terminal step serving', async () => {
    const rt = await start({ resilience: { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } } });
    hf.fault({ route: 'router.chat', status: 503, body: { error: 'Service Unavailable' }, times: 1 });
    // The reranker asks for more time than allowed: no retry, the chain moves on to its last step.
    hf.fault({ route: 'hf-inference.classification', status: 503, body: { error: 'Service Unavailable' }, headers: { 'retry-after': '7' } });
    const { answer } = await rt.pipeline.ask(QUESTION);
    expect(answer.mode).toBe('generative');

    const s = spans();
    const attempts = s.named(`chat ${CHAT_MODEL}`);
    expect(attempts.map((span) => span.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    expect(attempts[0]?.attributes).toMatchObject({ 'error.type': 'ServerError', 'http.response.status_code': 503 });
    expect(attempts.every((span) => s.parentName(span) === 'ragbridge.answer')).toBe(true);
    expect(s.events(s.one('ragbridge.answer'))).toEqual([
      ['ragbridge.retry', { 'ragbridge.step.key': `hf-inference-providers:${CHAT_MODEL}`, 'ragbridge.retry.attempt': 1, 'ragbridge.retry.delay_ms': expect.any(Number), 'error.type': 'ServerError' }],
    ]);

    const rerankStage = s.one('ragbridge.retrieve.rerank');
    expect(s.one(`rerank ${RERANK_MODEL}`).attributes['error.type']).toBe('ServerError');
    expect(s.events(rerankStage).map(([name, attributes]) => `${name} ${String(attributes['ragbridge.step.index'] ?? '')} ${String(attributes['ragbridge.retry.reason'] ?? attributes['ragbridge.fallback.reason'] ?? '')}`.trim())).toEqual([
      'ragbridge.retry.gave_up  retry-after-too-long',
      'ragbridge.fallback.step_failed 0',
      // The local reranker has no model on disk (downloads are off): its availability check fails
      // the step before any call, so it has no model span.
      'ragbridge.retry.gave_up  not-retryable',
      'ragbridge.fallback.step_failed 1',
      'ragbridge.fallback.served 2',
    ]);
    expect(s.all.filter((span) => span.attributes['gen_ai.operation.name'] === 'rerank').map((span) => span.name)).toEqual([`rerank ${RERANK_MODEL}`]);
  });

  it('a breaker that opens is an event of the span whose call opened it', async () => {
    const rt = await start({ resilience: { breaker: { minimumCalls: 2, openMs: 600_000 }, retry: { maxAttempts: 1 } } });
    await hf.close();
    await rt.pipeline.ask('Which register is hardwired to the constant zero?');
    await rt.pipeline.ask('What does the program counter hold?');
    const opened = spans()
      .all.flatMap((span) => span.events.filter((e) => e.name === 'ragbridge.circuit_breaker').map((e) => ({ stage: span.name, ...e.attributes })));
    expect(opened).toContainEqual({
      stage: 'ragbridge.answer',
      'ragbridge.step.key': `hf-inference-providers:${CHAT_MODEL}`,
      'ragbridge.circuit_breaker.from': 'closed',
      'ragbridge.circuit_breaker.to': 'open',
      'ragbridge.circuit_breaker.failure_rate': 1,
    });
  });
});
