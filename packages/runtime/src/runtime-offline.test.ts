import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forbiddenFetch, memoryLogger, writeCorpus } from './__fixtures__/runtime-fixtures.js';
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

    // The ledger holds every attempt: the failed local model loads (free) and the extractive answer.
    const rows = await runtime.monitor.ledger.query();
    const failed = rows.filter((r) => r.status === 'error');
    expect(failed.length).toBeGreaterThanOrEqual(3); // embed at ingest, embed of the query, rerank
    for (const row of failed) {
      expect(row).toMatchObject({ backend: 'transformersjs', errorName: 'ModelNotFoundError', priceState: 'local', costUsd: 0 });
    }
    expect(new Set(failed.map((r) => r.operation))).toEqual(new Set(['embed', 'rerank']));
    const ok = rows.filter((r) => r.status === 'ok');
    expect(ok).toEqual([expect.objectContaining({ backend: 'extractive', operation: 'chat', fallbackStep: 0, costUsd: 0, priceState: 'local' })]);
    const [query] = await runtime.monitor.ledger.queries();
    expect(query?.status).toBe('ok');
    expect(ok[0]?.queryId).toBe(query?.id);
    expect((await runtime.monitor.ledger.totals()).costUsd).toBe(0);

    // Degradations are reported once each, not per question.
    await runtime.pipeline.ask('Which register is hardwired to zero?');
    expect(logger.lines.filter((l) => l.includes('embedder chain'))).toHaveLength(1);
    expect(logger.lines.filter((l) => l.includes('reranker chain'))).toHaveLength(1);

    expect(fetch.calls).toEqual([]);
    expect(globalFetch.calls).toEqual([]);
  });

  it('streams the extractive answer after the retrieval', async () => {
    runtime = await createRuntime({ config: getBuiltInProfile('offline'), env: {}, fetch: forbiddenFetch(), storePath: ':memory:', ledgerPath: ':memory:', logger: memoryLogger() });
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
