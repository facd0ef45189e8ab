import { dirname } from 'node:path';
import { resolveConfig } from '@ragbridge/config-profiles';
import { ollamaFaultPresets, startFakeOllama, type FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forbiddenFetch, memoryLogger, TEST_MODELS_DIR, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

describe('createRuntime with the local profile against the fake Ollama', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let ollama: FakeServer;
  let runtime: Runtime | undefined;
  let realFetch: typeof fetch;
  let env: Record<string, string>;

  beforeEach(async () => {
    corpus = await writeCorpus();
    ollama = await startFakeOllama();
    // OLLAMA_HOST points the Ollama steps at the fake; HF_HUB_OFFLINE keeps Transformers.js from downloading.
    env = { OLLAMA_HOST: ollama.url, HF_HUB_OFFLINE: '1' };
    realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', forbiddenFetch());
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    vi.unstubAllGlobals();
    await ollama.close();
    await corpus.cleanup();
  });

  it('answers from Ollama; without cached Transformers.js models retrieval is keyword-only and hits keep the fused order', async () => {
    const logger = memoryLogger();
    runtime = await createRuntime({ config: await resolveConfig({ profile: 'local', cwd: corpus.dir, env }), env, fetch: realFetch, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger });
    expect(runtime.parts().map((p) => p.steps.map((s) => `${s.backend}${s.model ? ` ${s.model}` : ''}`))).toEqual([
      ['ollama llama3.2:3b', 'extractive'],
      ['transformersjs Xenova/all-MiniLM-L6-v2', 'keyword'],
      ['transformersjs Xenova/ms-marco-MiniLM-L-6-v2', 'fused-order'],
    ]);
    // The profile's concurrency limits (one generation, one ONNX call at a time) are in force.
    expect(runtime.resilience().limiters.map((l) => [l.key, l.maxConcurrent])).toEqual([
      ['ollama', 1],
      ['transformersjs', 1],
    ]);

    const report = await runtime.pipeline.ingest([corpus.dir], { workers: 0 });
    expect(report.embedded).toBe(0);
    const { answer, retrieval } = await runtime.pipeline.ask('What does the funct3 field select?');
    expect(answer.mode).toBe('generative');
    expect(answer.text).toMatch(/funct3 field selects the operation/);
    expect(answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 2 });
    expect(retrieval.hits.every((h) => h.reason === 'keyword')).toBe(true);
    expect(answer.usage.map((u) => `${u.operation}:${u.backend}@${u.fallbackStep}`)).toEqual(['embed:keyword@1', 'rerank:fused-order@1', 'chat:ollama@0']);
    expect(answer.usage[2]).toMatchObject({ modelId: 'llama3.2:3b', costUsd: 0 });
    const [chat] = ollama.requestsTo('ollama.chat');
    expect(chat?.json).toMatchObject({ model: 'llama3.2:3b', stream: false });
    expect(logger.lines.some((l) => l.startsWith('warn: The embedder chain has no model it can run here (ModelNotFoundError'))).toBe(true);

    // The model is not pulled: Ollama's real 404, no retry, and the extractive step answers.
    ollama.fault({ route: 'ollama.chat', ...ollamaFaultPresets['not-found'] });
    const fallback = await runtime.pipeline.ask('Which register is hardwired to the constant zero?');
    expect(fallback.answer.mode).toBe('extractive');
    expect(fallback.answer.usage.at(-1)).toMatchObject({ backend: 'extractive', fallbackStep: 1 });
    expect(ollama.requestsTo('ollama.chat')).toHaveLength(2);
    const chatRows = await runtime.monitor.ledger.query({ operation: 'chat' });
    expect(chatRows.map((r) => `${r.status} ${r.backend} ${r.errorName ?? ''}`.trim())).toEqual(['ok ollama', 'error ollama ModelNotFoundError', 'ok extractive']);
    expect((await runtime.monitor.ledger.totals()).costUsd).toBe(0);
  });

  it('with the generated test models as local embedder and reranker: dense retrieval and reranking in-process', async () => {
    const overrides = {
      models: {
        // A relative localModelPath resolves against baseDir (the adapter package folder here).
        embedder: { chain: [{ backend: 'transformersjs', model: 'ragbridge-test/tiny-bert-embedder', options: { localModelPath: 'test-models', allowRemoteModels: false } }] },
        reranker: {
          chain: [{ backend: 'transformersjs', model: 'ragbridge-test/tiny-bert-cross-encoder', options: { localModelPath: 'test-models', allowRemoteModels: false, dtype: 'fp32' } }],
        },
      },
    };
    runtime = await createRuntime({
      config: await resolveConfig({ profile: 'local', cwd: corpus.dir, env, overrides }),
      env,
      fetch: realFetch,
      baseDir: dirname(TEST_MODELS_DIR),
      storePath: ':memory:',
      ledgerPath: ':memory:',
      embeddingCachePath: ':memory:',
      logger: memoryLogger(),
    });
    const report = await runtime.pipeline.ingest([corpus.dir], { workers: 0 });
    expect(report.embedded).toBe(report.chunks);

    const { answer, retrieval } = await runtime.pipeline.ask('What does the funct3 field select?');
    expect(answer.mode).toBe('generative');
    expect(answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 2 });
    expect(retrieval.hits.some((h) => h.reason === 'both' || h.reason === 'dense')).toBe(true);
    expect(retrieval.hits[0]?.rerankScore).toBeGreaterThan(0);
    expect(answer.usage.map((u) => `${u.operation}:${u.backend}@${u.fallbackStep}`)).toEqual(['embed:transformersjs@0', 'rerank:transformersjs@0', 'chat:ollama@0']);
    const rows = await runtime.monitor.ledger.query();
    expect(rows.every((r) => r.status === 'ok' && r.priceState === 'local' && r.costUsd === 0)).toBe(true);
    expect(rows.map((r) => `${r.operation} ${r.modelId}`)).toEqual([
      'embed ragbridge-test/tiny-bert-embedder',
      'embed ragbridge-test/tiny-bert-embedder',
      'rerank ragbridge-test/tiny-bert-cross-encoder',
      'chat llama3.2:3b',
    ]);
  });
});
