import { BadInputError, type UsageEvent } from '@ragbridge/core-interfaces';
import { createMockEmbedder, describeEmbedderConformance, MockFaults, type MockEmbedder } from '@ragbridge/core-interfaces/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddingCache } from './embedding-cache.js';
import { createMemoryEmbeddingStore, openSqliteEmbeddingStore } from './embedding-store.js';

const tempDb = (): string => join(mkdtempSync(join(tmpdir(), 'rb-embcache-')), 'cache.db');

describe('createEmbeddingCache', () => {
  it('sends only missing texts, once each, and puts every vector back at its position', async () => {
    const inner = createMockEmbedder();
    const cached = createEmbeddingCache(inner, { store: createMemoryEmbeddingStore() });
    const first = await cached.embed({ texts: ['alpha', 'beta'] });
    inner.requests.length = 0;

    const texts = ['gamma', 'beta', 'delta', 'alpha', 'gamma', 'beta'];
    const result = await cached.embed({ texts });
    expect(inner.requests).toEqual([['gamma', 'delta']]);
    const direct = await createMockEmbedder().embed({ texts });
    expect(result.embeddings).toEqual(direct.embeddings);
    expect(result.embeddings[1]).toEqual(first.embeddings[1]);
    expect(result.embeddings[3]).toEqual(first.embeddings[0]);
    expect(result.usage).toMatchObject({ items: 6, cacheHit: false, operation: 'embed' });
    expect(cached.stats()).toEqual({ hits: 4, misses: 4, hitRate: 0.5 });
  });

  it('answers a fully cached call with no backend call and a cache-hit usage event', async () => {
    const inner = createMockEmbedder();
    const hits: UsageEvent[] = [];
    const cached = createEmbeddingCache(inner, { store: createMemoryEmbeddingStore(), onHit: (u) => hits.push(u) });
    await cached.embed({ texts: ['one', 'two'] });
    expect(hits).toEqual([]);
    const again = await cached.embed({ texts: ['two', 'one'] });
    expect(inner.requests).toHaveLength(1);
    expect(again.usage).toMatchObject({ cacheHit: true, costUsd: 0, inputTokens: 0, items: 2, backend: 'mock', modelId: 'mock-embed', fallbackStep: 0 });
    expect(hits).toHaveLength(1);
    expect(hits[0]).toBe(again.usage);

    await cached.embed({ texts: ['one', 'three'] });
    expect(hits.at(-1)).toMatchObject({ cacheHit: true, items: 1 });
  });

  it('never mixes vectors of embedders with different identities in one store', async () => {
    const store = createMemoryEmbeddingStore();
    const small = createMockEmbedder({ modelId: 'embed-small', dimensions: 16 });
    const large = createMockEmbedder({ modelId: 'embed-large', dimensions: 32 });
    const a = createEmbeddingCache(small, { store });
    const b = createEmbeddingCache(large, { store });
    await a.embed({ texts: ['shared text'] });
    const fromB = await b.embed({ texts: ['shared text'] });
    expect(large.requests).toEqual([['shared text']]);
    expect(fromB.embeddings[0]).toHaveLength(32);
    expect(await store.count()).toBe(2);
  });

  it('keys queries and documents apart', async () => {
    const inner = createMockEmbedder({ queryPrefix: 'query: ', documentPrefix: 'passage: ' });
    const cached = createEmbeddingCache(inner, { store: createMemoryEmbeddingStore() });
    const q = await cached.embed({ texts: ['registers'], inputType: 'query' });
    const d = await cached.embed({ texts: ['registers'], inputType: 'document' });
    expect(inner.requests).toEqual([['query: registers'], ['passage: registers']]);
    expect(q.embeddings[0]).not.toEqual(d.embeddings[0]);
    await cached.embed({ texts: ['registers'], inputType: 'query' });
    expect(inner.requests).toHaveLength(2);
  });

  it('persists in SQLite across reopening, returning the exact vectors', async () => {
    const path = tempDb();
    const first = createMockEmbedder();
    const store = openSqliteEmbeddingStore({ path });
    const original = await createEmbeddingCache(first, { store }).embed({ texts: ['persisted', 'vectors'] });
    store.close();

    const second = createMockEmbedder();
    const reopened = openSqliteEmbeddingStore({ path });
    const again = await createEmbeddingCache(second, { store: reopened }).embed({ texts: ['vectors', 'persisted'] });
    expect(second.requests).toEqual([]);
    expect(again.embeddings).toEqual([original.embeddings[1], original.embeddings[0]]);
    expect(await reopened.count(undefined)).toBe(2);
    reopened.close();
  });

  it('stores float32 vectors when asked, within float32 precision', async () => {
    const store = openSqliteEmbeddingStore({ path: ':memory:', precision: 'float32' });
    const cached = createEmbeddingCache(createMockEmbedder(), { store });
    const fresh = await cached.embed({ texts: ['precision'] });
    const hit = await cached.embed({ texts: ['precision'] });
    expect(hit.usage.cacheHit).toBe(true);
    (hit.embeddings[0] as number[]).forEach((x, i) => expect(x).toBeCloseTo((fresh.embeddings[0] as number[])[i] as number, 6));
  });

  it('does not let a caller that edits a returned vector corrupt the cache', async () => {
    const cached = createEmbeddingCache(createMockEmbedder(), { store: createMemoryEmbeddingStore() });
    const first = await cached.embed({ texts: ['stable', 'stable'] });
    const expected = [...(first.embeddings[1] as number[])];
    (first.embeddings[0] as number[]).fill(0);
    expect((await cached.embed({ texts: ['stable'] })).embeddings[0]).toEqual(expected);
  });

  it('rejects an empty text with its index even when the others are cached', async () => {
    const cached = createEmbeddingCache(createMockEmbedder(), { store: createMemoryEmbeddingStore() });
    await cached.embed({ texts: ['fine'] });
    await expect(cached.embed({ texts: ['fine', ''] })).rejects.toSatisfy((e) => BadInputError.isInstance(e) && /texts\[1\]/.test((e as Error).message));
  });

  it('evicts the least recently used vectors from a bounded memory store', async () => {
    const inner = createMockEmbedder();
    const cached = createEmbeddingCache(inner, { store: createMemoryEmbeddingStore({ maxEntries: 2 }) });
    await cached.embed({ texts: ['a', 'b'] });
    await cached.embed({ texts: ['a'] });
    await cached.embed({ texts: ['c'] });
    inner.requests.length = 0;
    await cached.embed({ texts: ['a', 'b'] });
    expect(inner.requests).toEqual([['b']]);
  });
});

// The cache keeps every promise of the Embedder contract (a fresh cache per check).
const faults = new MockFaults();
let mock: MockEmbedder | undefined;
describeEmbedderConformance('embedding cache (memory) over the in-memory embedder', {
  create: () => createEmbeddingCache((mock = createMockEmbedder({ faults, maxBatchSize: 8 })), { store: createMemoryEmbeddingStore() }),
  faults,
  receivedTexts: () => mock?.requests.flat() ?? [],
});

const prefixedFaults = new MockFaults();
let prefixed: MockEmbedder | undefined;
describeEmbedderConformance('embedding cache (SQLite) over the in-memory embedder with prefixes', {
  create: () =>
    createEmbeddingCache((prefixed = createMockEmbedder({ queryPrefix: 'query: ', documentPrefix: 'passage: ', faults: prefixedFaults })), {
      store: openSqliteEmbeddingStore({ path: ':memory:' }),
    }),
  faults: prefixedFaults,
  receivedTexts: () => prefixed?.requests.flat() ?? [],
});
