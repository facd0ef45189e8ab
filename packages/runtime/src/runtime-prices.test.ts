import { ConfigError, resolveConfig, validateConfig } from '@ragbridge/config-profiles';
import { startFakeTei, type FakeServer } from '@ragbridge/testkit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger, writeCorpus, openFakeHf, closeFakeHf } from './__fixtures__/runtime-fixtures.js';
import { createRuntime } from './create-runtime.js';
import type { Runtime } from './runtime-types.js';

const TOKEN = 'hf_RuntimePricesToken0123456789';
const ENV = { HF_TOKEN: TOKEN, HF_HUB_OFFLINE: '1' };
const QUESTION = 'What does the funct3 field select?';
const EMBEDDER = 'BAAI/bge-small-en-v1.5';
const RERANKER = 'cross-encoder/ms-marco-MiniLM-L6-v2';
const CHAT = 'openai/gpt-oss-20b';

/** Every hosted part of hf-spaces at $0 but `kind`, which is priced per request (or, for chat, per token). */
function pricesFor(kind: 'chat' | 'embed' | 'rerank'): Array<Record<string, unknown>> {
  return [
    { backend: 'hf-inference', model: EMBEDDER, provider: 'hf-inference', perRequest: kind === 'embed' ? 0.001 : 0 },
    { backend: 'hf-inference', model: RERANKER, provider: 'hf-inference', perRequest: kind === 'rerank' ? 0.001 : 0 },
    { backend: 'hf-inference', model: CHAT, inputPerMillion: kind === 'chat' ? 10_000 : 0, outputPerMillion: kind === 'chat' ? 10_000 : 0 },
  ];
}

describe('budgets see every priced call kind, priced from the configuration', () => {
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

  /** hf-spaces on the fake, with `kind` priced and a daily downgrade budget it spends at once. */
  async function start(kind: 'chat' | 'embed' | 'rerank'): Promise<Runtime> {
    const overrides = {
      prices: { overrides: pricesFor(kind) },
      budgets: { limits: [{ window: 'day', limitUsd: 0.0005, mode: 'downgrade' }] },
      caches: { answers: { enabled: false } },
    };
    const config = await resolveConfig({ profile: 'hf-spaces', cwd: corpus.dir, env: ENV, overrides });
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
    return runtime;
  }

  it('embeddings (hf-inference, per request): ingesting spends the budget, then questions are retrieved by keywords', async () => {
    const rt = await start('embed');
    await rt.pipeline.ingest([corpus.dir], { workers: 0 });
    const [ingested] = await rt.monitor.ledger.query({ operation: 'embed' });
    expect(ingested).toMatchObject({ provider: 'hf-inference', priceState: 'priced', costUsd: 0.001 });
    expect(rt.monitor.budgets()[0]).toMatchObject({ exhausted: true });
    const requests = hf.requestsTo('hf-inference.pipeline').length;
    const { answer, retrieval } = await rt.pipeline.ask(QUESTION);
    expect(retrieval.hits.every((h) => h.reason === 'keyword')).toBe(true);
    expect(answer.usage[0]).toMatchObject({ operation: 'embed', backend: 'keyword' });
    expect(hf.requestsTo('hf-inference.pipeline')).toHaveLength(requests);
  });

  it('reranking (hf-inference, per request): the first question spends the budget, the next keeps the fused order', async () => {
    const rt = await start('rerank');
    await rt.pipeline.ingest([corpus.dir], { workers: 0 });
    const first = await rt.pipeline.ask(QUESTION);
    expect(first.answer.usage.find((u) => u.operation === 'rerank')).toMatchObject({ backend: 'hf-inference-providers', costUsd: 0.001 });
    const second = await rt.pipeline.ask('Which register is hardwired to zero?');
    expect(second.answer.usage.find((u) => u.operation === 'rerank')?.backend).toBe('fused-order');
  });

  it('chat (per token, priced for the provider that served it): the first answer spends the budget, the next is extractive', async () => {
    const rt = await start('chat');
    await rt.pipeline.ingest([corpus.dir], { workers: 0 });
    const first = await rt.pipeline.ask(QUESTION);
    expect(first.answer.mode).toBe('generative');
    expect(first.answer.usage.at(-1)).toMatchObject({ operation: 'chat', provider: 'groq' });
    expect(first.answer.usage.at(-1)?.costUsd).toBeGreaterThan(0.0005);
    const second = await rt.pipeline.ask('Which register is hardwired to zero?');
    expect(second.answer.mode).toBe('extractive');
    expect(hf.requestsTo('router.chat')).toHaveLength(1);
  });

  it('names a wrong price in the configuration, and a price file that is not a price table', async () => {
    const wrong = await resolveConfig({ profile: 'hf-spaces', cwd: corpus.dir, env: ENV, overrides: { prices: { overrides: [{ backend: 'hf-inference', model: EMBEDDER, perRequest: -1 }] } } });
    const error = await createRuntime({ config: wrong, env: ENV, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() }).catch((e: unknown) => e);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).issues).toEqual([expect.objectContaining({ path: 'prices.overrides[0].perRequest', message: 'must be >=0, got -1' })]);

    const file = join(mkdtempSync(join(tmpdir(), 'rb-prices-')), 'prices.json');
    writeFileSync(file, JSON.stringify({ asOf: '2026-12-01', prices: [] }));
    const badFile = await resolveConfig({ profile: 'hf-spaces', cwd: corpus.dir, env: ENV, overrides: { prices: { file } } });
    const fileError = await createRuntime({ config: badFile, env: ENV, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() }).catch((e: unknown) => e);
    expect((fileError as ConfigError).issues).toEqual([{ path: 'prices.file', message: `${file}: is not a price table (source: Invalid input: expected string, received undefined)` }]);
  });
});

describe('endpoint hours of a dedicated TEI endpoint, priced from the configuration', () => {
  let tei: FakeServer;
  let runtime: Runtime | undefined;
  beforeEach(async () => {
    tei = await startFakeTei();
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await tei.close();
  });

  it('waking the endpoint charges its idle window, which spends a block budget: the next call is refused and retrieval is keyword-only', async () => {
    const corpus = await writeCorpus();
    try {
      const config = validateConfig({
        models: { embedder: { chain: [{ backend: 'hf-tei', model: EMBEDDER, endpoint: tei.url }] } },
        // $6 an hour, up 10 minutes after each call: waking it costs $1, the day's budget.
        prices: { overrides: [{ backend: 'hf-tei', model: '*', perHour: 6, scaleToZeroMinutes: 10 }] },
        budgets: { limits: [{ window: 'day', limitUsd: 1, backend: 'hf-tei', mode: 'block' }] },
        resilience: { retry: { maxAttempts: 1 } },
      });
      runtime = await createRuntime({ config, env: {}, storePath: ':memory:', ledgerPath: ':memory:', embeddingCachePath: ':memory:', logger: memoryLogger() });
      await runtime.pipeline.ingest([corpus.pdf], { workers: 0 });
      const [woken] = await runtime.monitor.ledger.query({ backend: 'hf-tei' });
      expect(woken?.costUsd).toBeCloseTo(1, 9);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const { retrieval } = await runtime.pipeline.ask('Which register is hardwired to the constant zero?');
      expect(retrieval.hits.every((h) => h.reason === 'keyword')).toBe(true);
      expect(await runtime.monitor.ledger.query({ backend: 'hf-tei', status: 'blocked' })).toHaveLength(1);
      expect(tei.requestsTo('tei.embed')).toHaveLength(1);
    } finally {
      await corpus.cleanup();
    }
  });
});
