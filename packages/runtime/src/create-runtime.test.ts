import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, getBuiltInProfile, validateConfig } from '@ragbridge/config-profiles';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forbiddenFetch, memoryLogger, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';

describe('createRuntime', () => {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  beforeEach(async () => {
    corpus = await writeCorpus();
  });
  afterEach(async () => {
    await corpus.cleanup();
  });

  it('takes a bare configuration: keyword retrieval and extractive answers without any model, files under baseDir', async () => {
    const config = validateConfig({ models: { embedder: { chain: [] } }, storage: { path: 'index/store.db' }, budgets: { ledger: 'index/usage.db' }, caches: { embeddings: { path: 'index/cache.db' } } });
    const runtime = await createRuntime({ config, env: {}, fetch: forbiddenFetch(), baseDir: corpus.dir, logger: memoryLogger() });
    expect(runtime.profile).toBe('offline');
    expect(runtime.explain()).toMatchObject({ profile: 'offline', reason: 'configuration passed to createRuntime without a profile' });
    expect(runtime.parts()).toEqual([
      { part: 'answer', steps: [{ backend: 'extractive', local: true, breaker: 'closed' }] },
      { part: 'embedder', steps: [{ backend: 'keyword', local: true, breaker: 'closed' }] },
      { part: 'reranker', steps: [{ backend: 'fused-order', local: true, breaker: 'closed' }] },
    ]);
    await runtime.pipeline.ingest([corpus.markdown], { workers: 0 });
    const { answer } = await runtime.pipeline.ask('What does software validation confirm?');
    expect(answer).toMatchObject({ mode: 'extractive', refused: false });
    expect(answer.usage.map((u) => u.backend)).toEqual(['extractive']);
    expect(existsSync(join(corpus.dir, 'index/store.db'))).toBe(true);
    expect(existsSync(join(corpus.dir, 'index/usage.db'))).toBe(true);
    await runtime.close();
    await runtime.close(); // closing twice is harmless
  });

  it('keyword retrieval mode builds no embedder', async () => {
    const config = { ...getBuiltInProfile('offline'), retrieval: { ...getBuiltInProfile('offline').retrieval, mode: 'keyword' as const } };
    const runtime = await createRuntime({ config, env: {}, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() });
    expect(runtime.parts()[1]).toEqual({ part: 'embedder', steps: [{ backend: 'keyword', local: true, breaker: 'closed' }] });
    await runtime.close();
  });

  it('refuses an invalid configuration with the configuration error', async () => {
    const broken = { ...getBuiltInProfile('offline'), retrieval: { k: -1 } } as unknown as ReturnType<typeof getBuiltInProfile>;
    await expect(createRuntime({ config: broken, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:' })).rejects.toSatisfy((e) => e instanceof ConfigError);
  });
});
