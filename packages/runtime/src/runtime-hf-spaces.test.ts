import { resolveConfig } from '@ragbridge/config-profiles';
import { hashEmbedding } from '@ragbridge/core-interfaces/testing';
import type { ResilienceEvent } from '@ragbridge/resilience';
import { type FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, writeCorpus, openFakeHf, closeFakeHf } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime, RuntimeOptions } from './runtime-types.js';

const TOKEN = 'hf_RuntimeSpacesToken0123456789';
/** HF_HUB_OFFLINE keeps the Transformers.js fallback reranker from downloading its model. */
const ENV = { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' };
const CHAT_MODEL = 'openai/gpt-oss-20b';

describe('createRuntime with the hf-spaces profile against the fake Hugging Face services', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let hf: FakeServer;
  let runtime: Runtime | undefined;
  let toFake: typeof fetch;

  beforeEach(async () => {
    // The router serves the profile's chat model through groq, whose price is in the built-in table.
    // Anything not sent through the runtime's fetch would be a leak to the real network.
    ({ corpus, hf, toFake } = await openFakeHf({ token: TOKEN }));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await closeFakeHf({ corpus, hf, toFake });
  });

  async function start(overrides: unknown = undefined, extra: Partial<RuntimeOptions> = {}): Promise<Runtime> {
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
      ...extra,
    });
    return runtime;
  }

  it('answers from the hosted chat model with citations, recording every call with backend, model and cost', async () => {
    const rt = await start();
    expect(rt.parts().map((p) => p.steps.map((s) => `${s.backend}${s.model ? ` ${s.model}` : ''}`))).toEqual([
      ['hf-inference-providers openai/gpt-oss-20b', 'extractive'],
      ['hf-inference-providers BAAI/bge-small-en-v1.5', 'keyword'],
      ['hf-inference-providers cross-encoder/ms-marco-MiniLM-L6-v2', 'transformersjs Xenova/ms-marco-MiniLM-L-6-v2', 'fused-order'],
    ]);

    const report = await rt.pipeline.ingest([corpus.dir], { workers: 0 });
    expect(report.added).toHaveLength(2);
    expect(report.embedded).toBe(report.chunks);

    const { answer, retrieval } = await rt.pipeline.ask('What does the funct3 field select?');
    expect(answer.mode).toBe('generative');
    expect(answer.refused).toBe(false);
    expect(answer.text).toMatch(/funct3 field selects the operation/);
    expect(answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 2 });
    expect(retrieval.hits.some((hit) => hit.reason === 'both')).toBe(true);
    expect(retrieval.hits[0]?.rerankScore).toBeGreaterThan(0);

    expect(answer.usage.map((u) => `${u.operation}:${u.backend}@${u.fallbackStep}`)).toEqual([
      'embed:hf-inference-providers@0',
      'rerank:hf-inference-providers@0',
      'chat:hf-inference-providers@0',
    ]);
    const chatUsage = answer.usage[2];
    expect(chatUsage).toMatchObject({ modelId: CHAT_MODEL, provider: 'groq' });
    expect(chatUsage?.costUsd).toBeGreaterThan(0);

    // The requests the fakes saw: the token in the header, the chat model and the prompt's numbered sources.
    const [chatRequest] = hf.requestsTo('router.chat');
    expect(chatRequest?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(chatRequest?.json).toMatchObject({ model: CHAT_MODEL, reasoning_effort: 'low', temperature: 0 });
    expect(JSON.stringify(chatRequest?.json)).toContain('[1] (riscv-notes.pdf, page 2');
    expect(hf.requestsTo('hf-inference.pipeline').map((r) => r.path)).toEqual([
      '/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction', // chunks at ingest
      '/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction', // the question
    ]);
    expect(hf.requestsTo('hf-inference.classification')).toHaveLength(1);

    const rows = await rt.monitor.ledger.query();
    expect(rows.map((r) => `${r.status} ${r.operation} ${r.backend} ${r.modelId} ${r.priceState}`)).toEqual([
      'ok embed hf-inference-providers BAAI/bge-small-en-v1.5 unknown',
      'ok embed hf-inference-providers BAAI/bge-small-en-v1.5 unknown',
      'ok rerank hf-inference-providers cross-encoder/ms-marco-MiniLM-L6-v2 unknown',
      'ok chat hf-inference-providers openai/gpt-oss-20b priced',
    ]);
    expect(rows[3]?.costUsd).toBe(chatUsage?.costUsd);
    const [query] = await rt.monitor.ledger.queries();
    expect(rows.slice(1).every((r) => r.queryId === query?.id)).toBe(true);
    expect((await rt.monitor.summary()).queries.count).toBe(1);

    // The same question again: the answer and the query vector come from the caches, recorded as free hits.
    const again = await rt.pipeline.ask('What does the funct3 field select?');
    expect(again.answer.text).toBe(answer.text);
    expect(hf.requestsTo('router.chat')).toHaveLength(1);
    expect(hf.requestsTo('hf-inference.pipeline')).toHaveLength(2);
    expect(again.answer.usage.filter((u) => u.cacheHit).map((u) => u.operation)).toEqual(['embed', 'chat']);
  });

  it('runtime.models: the hosted embedder and reranker the pipeline uses, each call a ledger row', async () => {
    const rt = await start();
    const { chatModel, embedder, reranker } = rt.models;
    expect([chatModel?.modelId, embedder?.modelId, reranker?.modelId]).toEqual([CHAT_MODEL, 'BAAI/bge-small-en-v1.5', 'cross-encoder/ms-marco-MiniLM-L6-v2']);
    if (!embedder || !reranker) throw new Error('hf-spaces has an embedder and a reranker');
    await rt.pipeline.ingest([corpus.pdf], { workers: 0 });
    expect(await rt.pipeline.store.chunksWithoutVectors(embedder.identity)).toEqual([]);
    const rowsBefore = (await rt.monitor.ledger.query()).length;

    const question = 'Which register holds the return address?';
    const { embeddings, usage } = await embedder.embed({ texts: [question], inputType: 'query' });
    // The request the fake received (the model's query prefix added by the adapter) and the vector it computed for it.
    const [request] = hf.requestsTo('hf-inference.pipeline').slice(-1);
    expect(request?.path).toBe('/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const sent = (request?.json as { inputs: string[] }).inputs;
    expect(sent).toEqual([`${embedder.identity.queryPrefix ?? ''}${question}`]);
    const expected = hashEmbedding(sent[0] as string, 384);
    expect(embeddings[0]).toHaveLength(384);
    (embeddings[0] as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 6));
    expect(usage).toMatchObject({ backend: 'hf-inference-providers', modelId: 'BAAI/bge-small-en-v1.5', fallbackStep: 0, cacheHit: false });
    // Dense search of the store under the exposed identity finds the chunks the vector is nearest to.
    expect((await rt.pipeline.store.vectorSearch.vectorCandidates({ identity: embedder.identity, vector: embeddings[0] as number[], limit: 2 })).length).toBeGreaterThan(0);

    const reranked = await reranker.rerank({ query: question, texts: ['JAL stores the return address in rd.', 'Software validation.'] });
    expect(reranked.usage).toMatchObject({ backend: 'hf-inference-providers', fallbackStep: 0 });
    expect(hf.requestsTo('hf-inference.classification')).toHaveLength(1);

    await rt.monitor.flush();
    const rows = (await rt.monitor.ledger.query()).slice(rowsBefore);
    expect(rows.map((r) => `${r.status} ${r.operation} ${r.modelId}`)).toEqual(['ok embed BAAI/bge-small-en-v1.5', 'ok rerank cross-encoder/ms-marco-MiniLM-L6-v2']);
    expect(rows.every((r) => r.queryId === undefined)).toBe(true);
  });

  it('falls back along each chain on faults: Retry-After longer than allowed moves on at once, answers turn extractive', async () => {
    const events: ResilienceEvent[] = [];
    const rt = await start(undefined, { onResilienceEvent: (e) => events.push(e) });
    await rt.pipeline.ingest([corpus.pdf], { workers: 0 });

    // The reranker answers 503 asking for 7 s, the router 429 asking for 7 s: more than maxRetryAfterMs (5 s).
    hf.fault({ route: 'hf-inference.classification', status: 503, body: { error: 'Service Unavailable' }, headers: { 'retry-after': '7' } });
    hf.fault({ route: 'router.chat', status: 429, body: { error: 'Too Many Requests' }, headers: { 'retry-after': '7' } });
    const { answer, retrieval } = await rt.pipeline.ask('Which register is hardwired to the constant zero?');

    expect(answer.mode).toBe('extractive');
    expect(answer.refused).toBe(false);
    expect(answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 1 });
    expect(retrieval.hits.length).toBeGreaterThan(0);
    // Embeddings still work; the reranker chain ends in the fused order (its local step has no cached model), the answer in extractive.
    expect(answer.usage.map((u) => `${u.operation}:${u.backend}@${u.fallbackStep}`)).toEqual([
      'embed:hf-inference-providers@0',
      'rerank:fused-order@2',
      'chat:extractive@1',
    ]);
    expect(answer.usage.filter((u) => u.fallbackStep > 0)).toHaveLength(2);
    // Not retried sooner than the server asked: one request each, then the next step.
    expect(hf.requestsTo('hf-inference.classification')).toHaveLength(1);
    expect(hf.requestsTo('router.chat')).toHaveLength(1);

    const failures = (await rt.monitor.ledger.query({ status: 'error' })).map((r) => `${r.operation} ${r.backend} ${r.errorName}`);
    // The local reranker is not installed (downloads are off): passed over, not an error of the ledger.
    expect(failures).toEqual(['rerank hf-inference-providers ServerError', 'chat hf-inference-providers RateLimitError']);
    expect(rt.parts().find((p) => p.part === 'reranker')?.steps[1]).toMatchObject({ backend: 'transformersjs', unavailable: 'model files not on disk, and downloads are off' });
    const served = await rt.monitor.ledger.query({ status: 'ok', operation: 'chat' });
    expect(served).toEqual([expect.objectContaining({ backend: 'extractive', fallbackStep: 1, costUsd: 0 })]);
    expect((await rt.monitor.ledger.totals()).fallbackCalls).toBeGreaterThanOrEqual(1);

    expect(events.filter((e) => e.type === 'step-failed').map((e) => `${e.operation}#${e.step}`)).toEqual(['rerank#0', 'rerank#1', 'chat#0']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-served', operation: 'rerank', step: 2, key: 'fused-order' }));

    // Faults cleared: the hosted steps serve again.
    hf.clearFaults();
    const healthy = await rt.pipeline.ask('What does the funct7 field distinguish?');
    expect(healthy.answer.mode).toBe('generative');
    expect(healthy.answer.usage.every((u) => u.fallbackStep === 0)).toBe(true);
  });

  it('still answers when the Hugging Face services are down, and opens the breakers', async () => {
    const logger = memoryLogger();
    const rt = await start({ resilience: { breaker: { minimumCalls: 2, openMs: 600_000 }, retry: { maxAttempts: 1 } } }, { logger });
    await rt.pipeline.ingest([corpus.pdf], { workers: 0 });
    await hf.close();

    for (const question of ['Which register is hardwired to the constant zero?', 'What does the program counter hold?']) {
      const { answer } = await rt.pipeline.ask(question);
      expect(answer.mode).toBe('extractive');
      expect(answer.citations.length).toBeGreaterThan(0);
      expect(answer.usage.map((u) => `${u.operation}:${u.backend}@${u.fallbackStep}`)).toEqual(['embed:keyword@1', 'rerank:fused-order@2', 'chat:extractive@1']);
    }
    const breakers = rt.parts().map((p) => p.steps.map((s) => s.breaker));
    // The local reranker that is not installed keeps its breaker closed: missing is not failing.
    expect(breakers).toEqual([
      ['open', 'closed'],
      ['open', 'closed'],
      ['open', 'closed', 'closed'],
    ]);
    const unreachable = await rt.monitor.ledger.query({ backend: 'hf-inference-providers', status: 'error' });
    expect(new Set(unreachable.map((r) => r.errorName))).toEqual(new Set(['BackendUnreachableError']));
    expect(rt.resilience().breakers.find((b) => b.key === `hf-inference-providers:${CHAT_MODEL}`)).toMatchObject({ state: 'open', failures: 2 });
    expect(logger.lines).toContain(`warn: Circuit hf-inference-providers:${CHAT_MODEL}: closed → open (failure rate 100%); calls skip this step until a trial succeeds`);
  });

  it('a spent downgrade budget leaves only the local steps: no paid chat call, an extractive answer', async () => {
    const rt = await start({ budgets: { limits: [{ window: 'day', limitUsd: 0, backend: 'hf-inference', mode: 'downgrade' }] } });
    await rt.pipeline.ingest([corpus.pdf], { workers: 0 });
    const { answer } = await rt.pipeline.ask('What does the funct3 field select?');
    expect(answer.mode).toBe('extractive');
    expect(answer.usage.at(-1)).toMatchObject({ backend: 'extractive', fallbackStep: 1 });
    expect(hf.requestsTo('router.chat')).toEqual([]);
    // Unpriced hosted embeddings and reranking are not counted by budgets (unknownPrice: allow), so they still run.
    expect(answer.usage.slice(0, 2).map((u) => `${u.backend}@${u.fallbackStep}`)).toEqual(['hf-inference-providers@0', 'hf-inference-providers@0']);
    expect(rt.monitor.budgets()).toEqual([expect.objectContaining({ id: 'day:hf-inference-providers', exhausted: true })]);
  });

  it('a hung hosted model gives way to the extractive answer within the profile answer limits (first text 4 s, retries within 5 s)', async () => {
    const rt = await start({ caches: { answers: { enabled: false } } });
    const answerStep = rt.config.models.answer.chain[0] as { timeoutMs?: number; totalTimeoutMs?: number; retry?: { deadlineMs?: number } };
    expect(answerStep).toMatchObject({ timeoutMs: 4_000, streamIdleTimeoutMs: 3_000, totalTimeoutMs: 8_000, retry: { deadlineMs: 5_000 } });
    await rt.pipeline.ingest([corpus.pdf], { workers: 0 });
    hf.fault({ route: 'router.chat', hang: true });
    const parts: Array<{ type: string; answer?: { mode: string; text: string } }> = [];
    for await (const part of rt.pipeline.askStream('What does the funct3 field select?')) parts.push(part as (typeof parts)[number]);
    const answer = parts.at(-1)?.answer;
    expect(answer?.mode).toBe('extractive');
    expect(answer?.text.length).toBeGreaterThan(0);
    const failed = await rt.monitor.ledger.query({ backend: 'hf-inference-providers', status: 'error' });
    expect(failed.map((r) => r.errorName)).toContain('RequestTimeoutError');
  }, 20_000);

  it('streams: falls back to extractive before the first text; after it, keeps the text as interrupted and answers extractively below', async () => {
    const rt = await start({ caches: { answers: { enabled: false } } });
    await rt.pipeline.ingest([corpus.pdf], { workers: 0 });

    const collect = async (question: string) => {
      const parts: Array<{ type: string; delta?: string; answer?: { mode: string; text: string } }> = [];
      let failure: unknown;
      try {
        for await (const part of rt.pipeline.askStream(question)) parts.push(part as (typeof parts)[number]);
      } catch (error) {
        failure = error;
      }
      return { parts, failure };
    };

    const healthy = await collect('What does the funct3 field select?');
    expect(healthy.failure).toBeUndefined();
    expect(healthy.parts[0]?.type).toBe('retrieval');
    expect(healthy.parts.filter((p) => p.type === 'text-delta').length).toBeGreaterThan(1);
    expect(healthy.parts.at(-1)?.answer?.mode).toBe('generative');

    hf.fault({ route: 'router.chat', status: 503, body: { error: 'Model openai/gpt-oss-20b is currently loading', estimated_time: 30 }, times: 2 });
    const before = await collect('Which register is hardwired to the constant zero?');
    expect(before.failure).toBeUndefined();
    expect(before.parts.map((p) => p.type)).toEqual(['retrieval', 'text-delta', 'answer']);
    expect(before.parts.at(-1)?.answer?.mode).toBe('extractive');

    hf.clearFaults();
    hf.fault({ route: 'router.chat', dropAfterEvents: 2 });
    const after = await collect('What does the program counter hold?');
    const shown = after.parts.filter((p) => p.type === 'text-delta').map((p) => p.delta).join('');
    expect(shown.length).toBeGreaterThan(0);
    // The text already shown stays, marked as interrupted; the extractive answer comes as the answer, not spliced onto it.
    expect(after.failure).toBeUndefined();
    const last = after.parts.at(-1)?.answer as { mode: string; text: string; interrupted?: { partialText: string; reason: string } };
    expect(last.mode).toBe('extractive');
    expect(last.text.length).toBeGreaterThan(0);
    expect(last.interrupted).toEqual({ partialText: shown.trim(), reason: "the model's answer broke off (BackendUnreachableError)" });
    expect(after.parts.map((p) => p.type).slice(-2)).toEqual(['text-delta', 'answer']);
    const extractiveRows = await rt.monitor.ledger.query({ backend: 'extractive' });
    expect(extractiveRows).toHaveLength(2); // the stream that failed before any text, and the one cut after it
  });
});
