import { dirname } from 'node:path';
import { getBuiltInProfile, resolveConfig } from '@ragbridge/config-profiles';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forbiddenFetch, memoryLogger, TEST_MODELS_DIR, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

describe('createRuntime with the offline profile', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let runtime: Runtime | undefined;
  const globalFetch = forbiddenFetch();

  beforeEach(async () => {
    corpus = await writeCorpus();
    vi.stubGlobal('fetch', globalFetch);
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    vi.unstubAllGlobals();
    await corpus.cleanup();
  });

  it('answers extractively with page citations, keyword-only, with a consistent ledger and no network', async () => {
    const fetch = forbiddenFetch();
    const logger = memoryLogger();
    runtime = await createRuntime({
      config: getBuiltInProfile('offline'),
      env: {},
      fetch,
      baseDir: corpus.dir,
      storePath: ':memory:',
      ledgerPath: ':memory:',
      embeddingCachePath: ':memory:',
      logger,
    });
    expect(runtime.profile).toBe('offline');
    expect(runtime.parts()).toEqual([
      { part: 'answer', steps: [{ backend: 'extractive', local: true, breaker: 'closed' }] },
      {
        part: 'embedder',
        steps: [
          { backend: 'transformersjs', model: 'Xenova/all-MiniLM-L6-v2', local: true, breaker: 'closed' },
          { backend: 'keyword', local: true, breaker: 'closed' },
        ],
      },
      {
        part: 'reranker',
        steps: [
          { backend: 'transformersjs', model: 'Xenova/ms-marco-MiniLM-L-6-v2', local: true, breaker: 'closed' },
          { backend: 'fused-order', local: true, breaker: 'closed' },
        ],
      },
    ]);

    const report = await runtime.pipeline.ingest([corpus.dir], { workers: 0 });
    expect(report.added).toHaveLength(2);
    expect(report.failed).toEqual([]);
    // The Transformers.js embedder is not cached and may not download: documents are stored without vectors.
    expect(report.embedded).toBe(0);

    const { answer, retrieval } = await runtime.pipeline.ask('What does the funct3 field select?');
    expect(answer.mode).toBe('extractive');
    expect(answer.refused).toBe(false);
    expect(answer.text).toMatch(/funct3 field selects the operation/);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 2 });
    expect(retrieval.hits.every((hit) => hit.reason === 'keyword')).toBe(true);

    // Which step served each part: keyword retrieval (embedder step 1), fused order (reranker step 1), extractive (answer step 0).
    const served = answer.usage.map((u) => `${u.operation}:${u.backend}@${u.fallbackStep}`);
    expect(served).toEqual(['embed:keyword@1', 'rerank:fused-order@1', 'chat:extractive@0']);

    // Models that are not installed are passed over, not called: the ledger holds the extractive
    // answer only, no error per question for a part this machine does not have.
    const rows = await runtime.monitor.ledger.query();
    expect(rows).toEqual([expect.objectContaining({ status: 'ok', backend: 'extractive', operation: 'chat', fallbackStep: 0, costUsd: 0, priceState: 'local' })]);
    const [query] = await runtime.monitor.ledger.queries();
    expect(query?.status).toBe('ok');
    expect(rows[0]?.queryId).toBe(query?.id);
    expect((await runtime.monitor.ledger.totals()).costUsd).toBe(0);
    // parts() says which steps cannot run here, and why; their breakers stay closed.
    const modelSteps = runtime.parts().flatMap((p) => p.steps.filter((s) => s.model !== undefined));
    expect(modelSteps).toHaveLength(2);
    for (const step of modelSteps) expect(step).toMatchObject({ backend: 'transformersjs', breaker: 'closed', unavailable: 'model files not on disk, and downloads are off' });

    // Degradations are reported once each, not per question, as models missing rather than failures.
    for (let i = 0; i < 6; i++) await runtime.pipeline.ask('Which register is hardwired to zero?');
    expect(logger.lines.filter((l) => l.includes('embedder chain'))).toEqual([expect.stringMatching(/^warn: The embedder chain has no model it can run here \(ModelNotFoundError: /)]);
    expect(logger.lines.filter((l) => l.includes('reranker chain'))).toEqual([
      'warn: The reranker chain has no model it can run here (transformersjs Xenova/ms-marco-MiniLM-L-6-v2: model files not on disk, and downloads are off); hits keep their fused keyword/dense order until it works again',
    ]);
    expect(runtime.parts().every((p) => p.steps.every((s) => s.breaker === 'closed'))).toBe(true);
    expect((await runtime.monitor.ledger.query({ status: 'error' })).length).toBe(0);

    expect(fetch.calls).toEqual([]);
    expect(globalFetch.calls).toEqual([]);
  });

  it('streams the extractive answer after the retrieval', async () => {
    runtime = await createRuntime({ config: getBuiltInProfile('offline'), env: {}, fetch: forbiddenFetch(), storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() });
    await runtime.pipeline.ingest([corpus.pdf], { workers: 0 });
    const parts = [];
    for await (const part of runtime.pipeline.askStream('Which register is hardwired to the constant zero?')) parts.push(part);
    expect(parts.map((p) => p.type)).toEqual(['retrieval', 'text-delta', 'answer']);
    const last = parts.at(-1);
    if (last?.type !== 'answer') throw new Error('the stream must end with the answer');
    expect(last.answer).toMatchObject({ mode: 'extractive', refused: false });
    expect(last.answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 1 });
    expect(last.answer.usage.at(-1)).toMatchObject({ backend: 'extractive', fallbackStep: 0 });
  });
});

describe('runtime.models on the offline profile', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let runtime: Runtime | undefined;

  beforeEach(async () => {
    corpus = await writeCorpus();
    vi.stubGlobal('fetch', forbiddenFetch());
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    vi.unstubAllGlobals();
    await corpus.cleanup();
  });

  it('with the generated test models: the pipeline’s own embedder (identity, cache, ledger) and reranker', async () => {
    const env = { HF_HUB_OFFLINE: '1' };
    const options = { localModelPath: 'test-models', allowRemoteModels: false };
    const overrides = {
      models: {
        embedder: { chain: [{ backend: 'transformersjs', model: 'ragbridge-test/tiny-bert-embedder', options }] },
        reranker: { chain: [{ backend: 'transformersjs', model: 'ragbridge-test/tiny-bert-cross-encoder', options: { ...options, dtype: 'fp32' } }] },
      },
    };
    runtime = await createRuntime({
      config: await resolveConfig({ profile: 'offline', cwd: corpus.dir, env, overrides }),
      env,
      fetch: forbiddenFetch(),
      baseDir: dirname(TEST_MODELS_DIR),
      storePath: ':memory:',
      ledgerPath: ':memory:',
      embeddingCachePath: ':memory:',
      logger: memoryLogger(),
    });
    const { models, pipeline, monitor } = runtime;
    // The offline profile answers extractively: there is no chat model to expose.
    expect(Object.keys(models).sort()).toEqual(['embedder', 'reranker']);
    expect(Object.isFrozen(models)).toBe(true);
    const embedder = models.embedder;
    const reranker = models.reranker;
    if (!embedder || !reranker) throw new Error('the offline profile has an embedder and a reranker');
    expect(embedder.identity).toMatchObject({ provider: 'transformersjs', modelId: 'ragbridge-test/tiny-bert-embedder' });

    const ingest = await pipeline.ingest([corpus.dir], { workers: 0 });
    expect(ingest.embedded).toBe(ingest.chunks);
    // The store keeps its vectors under the exposed embedder's identity.
    expect(await pipeline.store.chunksWithoutVectors(embedder.identity)).toEqual([]);
    const rowsBefore = (await monitor.ledger.query()).length;

    // A new text: one model call, one ledger row outside any tracked query.
    const fresh = await embedder.embed({ texts: ['Which register holds the return address?'], inputType: 'query' });
    expect(fresh.embeddings).toHaveLength(1);
    expect(fresh.usage).toMatchObject({ backend: 'transformersjs', modelId: 'ragbridge-test/tiny-bert-embedder', fallbackStep: 0, cacheHit: false });
    // A chunk as indexVectors embeds it (its heading, then its text): the pipeline's cache answers
    // with the vector the store holds, so the nearest stored vector is that chunk's, at similarity 1.
    const pdf = (await pipeline.store.listDocuments()).find((d) => d.name === 'riscv-notes.pdf');
    const chunk = (await pipeline.store.getDocumentChunks(pdf?.id ?? '')).at(-1);
    if (!chunk) throw new Error('the PDF has chunks');
    const stored = await embedder.embed({ texts: [[...chunk.sectionPath.slice(-1), chunk.text].join('\n')], inputType: 'document' });
    expect(stored.usage.cacheHit).toBe(true);
    const [nearest] = await pipeline.store.vectorSearch.vectorCandidates({ identity: embedder.identity, vector: stored.embeddings[0] as number[], limit: 1 });
    expect(nearest?.id).toBe(chunk.id);
    expect(nearest?.score).toBeCloseTo(1, 5);

    const texts = ['The funct3 field selects the operation.', 'Software validation confirms user needs.'];
    const reranked = await reranker.rerank({ query: 'What does the funct3 field select?', texts });
    expect(reranked.scores).toHaveLength(2);
    expect(reranked.usage).toMatchObject({ operation: 'rerank', backend: 'transformersjs', fallbackStep: 0 });

    await monitor.flush();
    const rows = (await monitor.ledger.query()).slice(rowsBefore);
    expect(rows.map((r) => `${r.status} ${r.operation} ${r.modelId} cacheHit=${r.cacheHit}`)).toEqual([
      'ok embed ragbridge-test/tiny-bert-embedder cacheHit=false',
      'ok embed ragbridge-test/tiny-bert-embedder cacheHit=true',
      'ok rerank ragbridge-test/tiny-bert-cross-encoder cacheHit=false',
    ]);
    expect(rows.every((r) => r.queryId === undefined && r.costUsd === 0)).toBe(true);
    // Models on disk: no step is reported unavailable.
    expect(runtime.parts().flatMap((p) => p.steps).filter((s) => s.unavailable !== undefined)).toEqual([]);
  });

  it('without the models on disk: the embedder rejects (keyword is the pipeline’s step), the reranker serves fused-order, and neither is a ledger error', async () => {
    const logger = memoryLogger();
    runtime = await createRuntime({ config: getBuiltInProfile('offline'), env: {}, fetch: forbiddenFetch(), storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger });
    const { embedder, reranker } = runtime.models;
    await expect(embedder?.embed({ texts: ['x0'], inputType: 'query' })).rejects.toMatchObject({ name: 'ModelNotFoundError' });
    const result = await reranker?.rerank({ query: 'q', texts: ['a', 'b', 'c', 'd'] });
    expect(result?.scores).toEqual([1, 0.75, 0.5, 0.25]);
    expect(result?.usage).toMatchObject({ backend: 'fused-order', fallbackStep: 1 });
    await runtime.monitor.flush();
    // Not installed is not an error: nothing was called, so nothing is in the ledger.
    expect(await runtime.monitor.ledger.query()).toEqual([]);
    // The reranker is the pipeline's object: its degradation is logged as the pipeline's would be.
    expect(logger.lines.filter((l) => l.includes('The reranker chain has no model it can run here'))).toHaveLength(1);
  });
});
