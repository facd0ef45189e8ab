import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { openSqliteLedger } from '@ragbridge/cost-monitor';
import { openSqliteStore } from '@ragbridge/pipeline';
import { createRuntime } from '@ragbridge/runtime';
import type { FakeServer } from '@ragbridge/testkit';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hfSpacesSide, hfSpacesWithEmbedder, localOnlyFetch, memoryLogger, offlineSide, startHf, writeCompareCorpus } from './__fixtures__/compare-fixtures.js';
import { applyReindex, reindexPlan } from './index.js';

const BGE = 'BAAI/bge-small-en-v1.5';
const PRICE = { backend: 'hf-inference-providers', modelId: BGE, inputPerMillion: 0.02 };

/** Ingests the corpus the way the offline profile does: documents and chunks, no vectors (its embedder is not on disk). */
async function ingestOffline(dir: string, docs: string, storePath: string): Promise<void> {
  const runtime = await createRuntime({ config: getBuiltInProfile('offline'), env: { HF_HUB_OFFLINE: '1' }, baseDir: dir, storePath, ledgerPath: ':memory:', logger: memoryLogger() });
  try {
    const report = await runtime.pipeline.ingest([docs], { workers: 0 });
    expect(report.embedded).toBe(0);
  } finally {
    await runtime.close();
  }
}

/** Every chunk's text in the store, and the vectors per identity key. */
async function storeContents(path: string): Promise<{ texts: string[]; vectors: Record<string, number> }> {
  const store = openSqliteStore({ path });
  try {
    const texts: string[] = [];
    for (const doc of await store.listDocuments()) for (const c of await store.getDocumentChunks(doc.id)) texts.push(c.text);
    return { texts, vectors: (await store.stats()).vectors };
  } finally {
    await store.close();
  }
}

describe('reindexPlan and applyReindex: from the offline profile to the hosted embedder of hf-spaces', () => {
  let corpus: Awaited<ReturnType<typeof writeCompareCorpus>>;
  let hf: FakeServer;
  const embedRequests = (): number[] => hf.requestsTo('hf-inference.pipeline').map((r) => (r.json as { inputs: string[] }).inputs.length);

  beforeEach(async () => {
    corpus = await writeCompareCorpus();
    hf = await startHf();
    vi.stubGlobal('fetch', localOnlyFetch());
    await ingestOffline(corpus.dir, corpus.docs, corpus.storePath);
  });
  afterEach(async () => {
    vi.unstubAllGlobals();
    await hf.close();
    await corpus.cleanup();
  });

  it('plans every chunk (cost unknown: no price for hf-inference embeddings), times a sample, then applies incrementally', async () => {
    const { texts } = await storeContents(corpus.storePath);
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const options = { from: offlineSide(corpus.dir), to: hfSpacesSide(corpus.dir, hf), storePath: corpus.storePath };

    const plan = await reindexPlan(options);
    expect(plan.from.embedderIdentity).toMatchObject({ provider: 'transformersjs', modelId: 'Xenova/all-MiniLM-L6-v2' });
    expect(plan.to).toMatchObject({ name: 'hf-spaces', backend: 'hf-inference-providers', modelId: BGE, embedderIdentity: { provider: 'hf-inference', modelId: BGE } });
    expect(plan.sameIdentity).toBe(false);
    expect(plan.chunks).toBe(texts.length);
    expect(plan.chunksWithoutVectors).toBe(texts.length);
    expect(plan.estimatedTokens).toBe(Math.ceil(chars / 4));
    // The profile keeps its embedding cache in a file, empty so far.
    expect(plan.embeddingCache).toMatchObject({ kind: 'file', cachedChunks: 0 });
    expect(plan.cost).toEqual({
      state: 'unknown',
      usd: null,
      basis: `${Math.ceil(chars / 4)} tokens (${texts.length} chunks not in the cache) at hf-inference-providers ${BGE}: no price is known for hf-inference-providers model "${BGE}"`,
    });
    expect(plan.notes).toContainEqual(expect.stringContaining("Add a price to hf-spaces's runtime (prices.overrides)"));
    // The sample: 8 chunks in one request to the fake, no known cost; the time is extrapolated from it.
    expect(embedRequests()).toEqual([8]);
    expect(plan.sample).toMatchObject({ chunks: 8, costUsd: 0, unpricedCalls: 1 });
    expect(plan.time.ms).toBeCloseTo(((plan.sample?.ms ?? NaN) / 8) * texts.length, 9);
    expect(plan.time.basis).toContain(`${texts.length - 8} chunks remain`);

    const progress: Array<{ done: number; total: number }> = [];
    const applied = await applyReindex({ ...options, onProgress: (p) => progress.push(p) });
    expect(applied).toMatchObject({ embedded: texts.length - 8, cacheHits: 0, costUsd: 0, unpricedCalls: 1 });
    expect(applied.ms).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ done: texts.length - 8, total: texts.length - 8 });
    expect(embedRequests()).toEqual([8, texts.length - 8]);
    expect(Object.values((await storeContents(corpus.storePath)).vectors)).toEqual([texts.length]);

    // Nothing left: a second run embeds nothing and calls nothing.
    expect(await applyReindex(options)).toMatchObject({ embedded: 0, cacheHits: 0, costUsd: 0, unpricedCalls: 0 });
    expect(embedRequests()).toHaveLength(2);
    const after = await reindexPlan({ ...options, sampleChunks: 0 });
    expect(after).toMatchObject({ chunksWithoutVectors: 0, estimatedTokens: 0, cost: { state: 'none', usd: 0 }, sample: null });
  });

  it('ingests a corpus through the side in use first, and the plan embeds nothing through B', async () => {
    const fresh = join(corpus.dir, 'fresh.db');
    const plan = await reindexPlan({ from: offlineSide(corpus.dir), to: hfSpacesSide(corpus.dir, hf), storePath: fresh, corpus: [corpus.docs], ingestWorkers: 0, sampleChunks: 0 });
    const { texts, vectors } = await storeContents(fresh);
    expect(texts).toHaveLength(11);
    expect(plan).toMatchObject({ chunks: 11, chunksWithoutVectors: 11, sample: null });
    expect(vectors).toEqual({});
    expect(embedRequests()).toEqual([]);
  });

  it('prices the plan with B’s price book, and the applied cost matches B’s ledger', async () => {
    const { texts } = await storeContents(corpus.storePath);
    const tokens = Math.ceil(texts.reduce((n, t) => n + t.length, 0) / 4);
    const ledgerPath = join(corpus.dir, 'priced-usage.db');
    const options = { from: offlineSide(corpus.dir), to: hfSpacesSide(corpus.dir, hf, { prices: { overrides: [PRICE] }, ledgerPath }), storePath: corpus.storePath };

    const plan = await reindexPlan({ ...options, sampleChunks: 0 });
    expect(plan.cost.state).toBe('priced');
    expect(plan.cost.usd).toBeCloseTo((tokens * 0.02) / 1_000_000, 15);
    expect(plan.cost.basis).toContain('$0.02 per million input tokens');
    expect(plan.time).toEqual({ ms: null, basis: 'not estimated: no sample was embedded (sampleChunks: 0)' });
    expect(plan.sample).toBeNull();
    expect(embedRequests()).toEqual([]);

    const applied = await applyReindex(options);
    expect(applied.embedded).toBe(texts.length);
    const ledger = openSqliteLedger({ path: ledgerPath });
    try {
      const rows = ledger.query({ operation: 'embed' });
      expect(rows.length).toBeGreaterThan(0);
      const cost = rows.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
      expect(cost).toBeGreaterThan(0);
      expect(applied.costUsd).toBeCloseTo(cost, 15);
      expect(cost).toBeCloseTo((rows.reduce((n, r) => n + r.inputTokens, 0) * 0.02) / 1_000_000, 15);
    } finally {
      ledger.close();
    }
  });

  it('counts what a persistent embedding cache already holds as free, and applying then serves it from the cache', async () => {
    const cachePath = join(corpus.dir, 'embedding-cache.db');
    const to = hfSpacesSide(corpus.dir, hf, { config: hfSpacesWithEmbedder(BGE, { embeddingCachePath: cachePath }), prices: { overrides: [PRICE] } });
    // A first store fills the cache file.
    expect((await applyReindex({ from: offlineSide(corpus.dir), to, storePath: corpus.storePath })).cacheHits).toBe(0);
    const requests = embedRequests().length;

    // A second store of the same documents: every vector is in the cache.
    const second = join(corpus.dir, 'second.db');
    await ingestOffline(corpus.dir, corpus.docs, second);
    const { texts } = await storeContents(second);
    const plan = await reindexPlan({ from: offlineSide(corpus.dir), to, storePath: second, sampleChunks: 0 });
    expect(plan.chunksWithoutVectors).toBe(texts.length);
    expect(plan.embeddingCache).toMatchObject({ kind: 'file', cachedChunks: texts.length });
    expect(plan.cost).toMatchObject({ state: 'priced', usd: 0 });

    const applied = await applyReindex({ from: offlineSide(corpus.dir), to, storePath: second });
    expect(applied).toMatchObject({ embedded: texts.length, cacheHits: texts.length, costUsd: 0 });
    expect(embedRequests()).toHaveLength(requests);
  });
});
