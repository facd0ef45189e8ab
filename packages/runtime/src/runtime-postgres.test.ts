import { dirname } from 'node:path';
import { resolveConfig, type ResolvedConfig } from '@ragbridge/config-profiles';
import { BudgetExceededError } from '@ragbridge/core-interfaces';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { describePostgres } from '@ragbridge/testkit/postgres';
import { forbiddenFetch, memoryLogger, TEST_MODELS_DIR, writeCorpus } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

/** The offline profile with the generated test models (they load offline), so vectors are made and stored. */
const TEST_MODELS = { localModelPath: 'test-models', allowRemoteModels: false };
const MODELS = {
  embedder: { chain: [{ backend: 'transformersjs', model: 'ragbridge-test/tiny-bert-embedder', options: TEST_MODELS }] },
  reranker: { chain: [] },
};

/**
 * Runtimes of one describe block on `storage: { kind: postgres }` in `schema`: the sample corpus
 * written once, the network forbidden, every runtime closed after its test.
 */
function postgresRuntimes(url: string, schema: string) {
  let corpus: Awaited<ReturnType<typeof writeCorpus>>;
  const runtimes: Runtime[] = [];
  const env = { HF_HUB_OFFLINE: '1' };
  beforeAll(async () => {
    corpus = await writeCorpus();
    vi.stubGlobal('fetch', forbiddenFetch());
  });
  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.close();
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await corpus.cleanup();
  });
  return {
    corpus: () => corpus,
    /** `storage: { kind: postgres }` with DATABASE_URL (the profile's own SQLite cost files are dropped), budgets as given. */
    configured: (budgets: Record<string, unknown> = {}, databaseUrl = url, storage: Record<string, unknown> = {}): Promise<ResolvedConfig> =>
      resolveConfig({
        profile: 'offline',
        cwd: corpus.dir,
        env: { ...env, DATABASE_URL: databaseUrl },
        overrides: { storage: { kind: 'postgres', schema, ...storage }, models: MODELS, budgets },
      }),
    open: async (config: ResolvedConfig): Promise<Runtime> => {
      const runtime = await createRuntime({ config, env, fetch: forbiddenFetch(), baseDir: dirname(TEST_MODELS_DIR), logger: memoryLogger() });
      runtimes.push(runtime);
      return runtime;
    },
  };
}

describePostgres('createRuntime with storage.kind: postgres', ({ url, schema, admin }) => {
  const { corpus, configured, open } = postgresRuntimes(url, schema);
  const count = async (table: string): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM "${schema}".${table}`)).rows[0].n);

  it('ingests the corpus into PostgreSQL and answers with page citations; vectors, ledger and embedding cache in the database', async () => {
    const config = await configured({}, url, { hnsw: { m: 12, efConstruction: 48 } });
    expect(config.config.storage).toEqual({ kind: 'postgres', url, schema, hnsw: { m: 12, efConstruction: 48 } });
    const runtime = await open(config);
    const report = await runtime.pipeline.ingest([corpus().dir], { workers: 0 });
    expect(report.added).toHaveLength(2);
    expect(report.embedded).toBe(report.chunks);
    // The vector index was built as the configuration says.
    const index = await admin.query('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE $2', [schema, 'vectors_%_hnsw']);
    expect(index.rows.map((r: { indexdef: string }) => r.indexdef)).toEqual([expect.stringMatching(/WITH \(m='12', ef_construction='48'\)/)]);

    const stats = await runtime.pipeline.store.stats();
    expect(stats).toMatchObject({ documents: 2, chunks: report.chunks });
    expect(Object.values(stats.vectors)).toEqual([report.chunks]);

    const { answer, retrieval } = await runtime.pipeline.ask('What does the funct3 field select?');
    expect(answer.refused).toBe(false);
    expect(answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 2 });
    expect(retrieval.hits.some((hit) => hit.reason !== 'keyword')).toBe(true);

    await runtime.monitor.flush();
    // The usage ledger and the embedding cache are tables of the same schema, not files.
    expect(await count('embedding_cache')).toBeGreaterThanOrEqual(report.chunks);
    expect((await runtime.monitor.ledger.query()).length).toBeGreaterThan(0);
    expect(runtime.explain().storage).toMatch(/^PostgreSQL at postgres:\/\/[^@]*$/);
  });

  it('two replicas on one schema see each other’s documents; close() ends their connections', async () => {
    // The replicas' connections carry this block's schema as application_name, to count them alone.
    const tagged = new URL(url);
    tagged.searchParams.set('application_name', schema);
    const replica = async (): Promise<Runtime> => open(await configured({}, tagged.toString()));
    const [a, b] = await Promise.all([replica(), replica()]);
    if (!a || !b) throw new Error('two runtimes');
    await a.pipeline.ingest([corpus().pdf], { workers: 0 });
    await b.pipeline.ingest([corpus().markdown], { workers: 0 });
    for (const runtime of [a, b]) expect((await runtime.pipeline.store.listDocuments()).map((d) => d.name).sort()).toEqual(['riscv-notes.pdf', 'validation.md']);
    // B answers from the document A ingested.
    const { answer } = await b.pipeline.ask('Which register is hardwired to the constant zero?');
    expect(answer.citations[0]).toMatchObject({ docName: 'riscv-notes.pdf', page: 1 });

    const connections = async (): Promise<number> => Number((await admin.query('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [schema])).rows[0].n);
    expect(await connections()).toBeGreaterThan(0);
    await a.close();
    await b.close();
    // The server drops a backend from pg_stat_activity just after its client hangs up.
    await vi.waitFor(async () => expect(await connections()).toBe(0), { timeout: 5_000, interval: 50 });
  });
});

describePostgres('createRuntime with storage.kind: postgres: budgets', ({ url, schema }) => {
  const { configured, open } = postgresRuntimes(url, schema);

  it('budgets are shared: what one replica spends, the other is refused by, and a replica started later counts', async () => {
    const budgets = { limits: [{ id: 'shared-tokens', window: 'day', limitTokens: 40, backend: 'transformersjs', mode: 'block' }] };
    // Two replicas running at once, on one schema.
    const [a, b] = await Promise.all([configured(budgets), configured(budgets)]).then((configs) => Promise.all(configs.map(open)));
    if (!a?.models.embedder || !b?.models.embedder) throw new Error('two runtimes with an embedder');
    // A spends past the limit (one call is admitted while the window has room).
    await a.models.embedder.embed({ texts: ['Replica A embeds a text of several words, enough to spend the budget of forty tokens in one call. '.repeat(4)], inputType: 'query' });
    await a.monitor.flush();
    // B has spent nothing itself, and is refused by the budget A spent.
    const refused = await b.models.embedder.embed({ texts: ['Replica B asks for one more vector.'], inputType: 'query' }).catch((error: unknown) => error);
    expect(BudgetExceededError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/The daily budget "shared-tokens" of 40 tokens is spent \((\d+) tokens spent/);
    // A replica started now counts A's spend from the shared ledger.
    const c = await open(await configured(budgets));
    const status = c.monitor.budgets().find((s) => s.id === 'shared-tokens');
    expect(status).toMatchObject({ unit: 'tokens', exhausted: true });
    expect(status?.unit === 'tokens' && status.spentTokens).toBeGreaterThan(40);
  });
});

describe('createRuntime with PostgreSQL storage and its packages missing', () => {
  it('says which package to install, before connecting anywhere', async () => {
    const config = await resolveConfig({ profile: 'offline', env: { DATABASE_URL: 'postgres://rag:pw-not-used-1@127.0.0.1:9/rag' }, overrides: { retrieval: { mode: 'keyword' } } });
    const importStorage = async (name: string): Promise<unknown> => {
      throw Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/@ragbridge/runtime/dist/internal/runtime-storage.js`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const error = await createRuntime({ config, env: {}, logger: memoryLogger(), importStorage }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('storage.kind: postgres needs @ragbridge/store-postgres, which is not installed (npm install @ragbridge/store-postgres pg)');
    expect((error as Error).message).not.toContain('pw-not-used-1');
  });
});
