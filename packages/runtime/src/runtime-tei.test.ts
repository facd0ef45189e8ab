import { validateConfig } from '@ragbridge/config-profiles';
import { startFakeTei, type FakeServer } from '@ragbridge/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

const API_KEY = 'tei-api-key-5b1e2c7d9f';

describe('createRuntime with Text Embeddings Inference steps', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  let primary: FakeServer;
  let secondary: FakeServer;
  let rerank: FakeServer;
  let runtime: Runtime | undefined;

  beforeEach(async () => {
    corpus = await writeCorpus();
    [primary, secondary, rerank] = await Promise.all([startFakeTei(), startFakeTei(), startFakeTei({ kind: 'reranker', apiKey: API_KEY })]);
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await Promise.all([primary.close(), secondary.close(), rerank.close()]);
    await corpus.cleanup();
  });

  it('an embedder served by two TEI servers of one model falls back to the second; the reranker sends its API key', async () => {
    const config = validateConfig({
      models: {
        embedder: {
          chain: [
            { backend: 'hf-tei', model: 'BAAI/bge-small-en-v1.5', endpoint: primary.url, key: 'tei-primary' },
            { backend: 'hf-tei', model: 'BAAI/bge-small-en-v1.5', endpoint: secondary.url, key: 'tei-secondary' },
          ],
        },
        reranker: { chain: [{ backend: 'hf-tei', model: 'BAAI/bge-reranker-base', endpoint: rerank.url, apiKey: API_KEY }] },
      },
      resilience: { retry: { maxAttempts: 1 } },
    });
    runtime = await createRuntime({ config, env: {}, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() });
    const report = await runtime.pipeline.ingest([corpus.pdf], { workers: 0 });
    expect(report.embedded).toBe(report.chunks);
    expect(primary.requestsTo('tei.embed')).toHaveLength(1);

    primary.fault({ route: 'tei.embed', dropConnection: true });
    const { answer, retrieval } = await runtime.pipeline.ask('Which register is hardwired to the constant zero?');
    expect(answer.usage.map((u) => `${u.operation}:${u.backend}@${u.fallbackStep}`)).toEqual(['embed:hf-tei@1', 'rerank:hf-tei@0', 'chat:extractive@0']);
    expect(retrieval.hits.some((h) => h.reason !== 'keyword')).toBe(true);
    expect(secondary.requestsTo('tei.embed')).toHaveLength(1);
    expect(rerank.requestsTo('tei.rerank')[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(runtime.resilience().breakers.map((b) => b.key)).toEqual(expect.arrayContaining(['tei-primary', 'tei-secondary', 'hf-tei:BAAI/bge-reranker-base']));
    expect(JSON.stringify(runtime.explain())).not.toContain(API_KEY);
  });
});
