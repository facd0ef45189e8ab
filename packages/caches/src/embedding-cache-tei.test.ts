import { createUsageEvent, errorFromHttpResponse, type EmbedderV1 } from '@ragbridge/core-interfaces';
import { startFakeTei } from '@ragbridge/testkit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingCache } from './embedding-cache.js';
import { openSqliteEmbeddingStore } from './embedding-store.js';

type FakeTei = Awaited<ReturnType<typeof startFakeTei>>;

/** Just enough of a TEI client for this test: POST /embed in batches of 32 (libraries may not import adapters). */
function teiEmbedder(baseUrl: string, modelId: string, revision: string, dimensions: number): EmbedderV1 {
  const backend = 'hf-tei';
  return {
    specificationVersion: 'v1',
    backend,
    modelId,
    identity: { provider: backend, modelId, revision, pooling: 'cls', normalized: true },
    dimensions,
    maxBatchSize: 32,
    async embed({ texts }) {
      const startedAt = Date.now();
      const embeddings: number[][] = [];
      for (let i = 0; i < texts.length; i += 32) {
        const response = await fetch(`${baseUrl}/embed`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: texts.slice(i, i + 32), normalize: true, truncate: true }),
        });
        const body = await response.text();
        if (!response.ok) throw errorFromHttpResponse({ backend, modelId, endpoint: `${baseUrl}/embed`, status: response.status, body });
        embeddings.push(...(JSON.parse(body) as number[][]));
      }
      return {
        embeddings,
        usage: createUsageEvent({ backend, modelId, operation: 'embed', inputTokens: texts.length, items: texts.length, startedAt, latencyMs: Date.now() - startedAt }),
      };
    },
  };
}

/** A small corpus: 6 documents of 10 chunks each. */
const corpus = (changedDoc?: number): Map<string, string[]> =>
  new Map(
    Array.from({ length: 6 }, (_, d) => [
      `doc-${d}`,
      Array.from({ length: 10 }, (_, c) => `Document ${d} chunk ${c}: the vector unit has ${c + d * 10} registers${d === changedDoc ? ' (revised edition)' : ''}.`),
    ]),
  );

/** The texts the fake TEI was asked to embed, in order. */
const embeddedTexts = (tei: FakeTei): string[] => tei.requestsTo('tei.embed').flatMap((r) => (r.json as { inputs: string[] }).inputs);

describe('the embedding cache in front of a TEI server', () => {
  let tei: FakeTei;
  let other: FakeTei;
  beforeAll(async () => {
    tei = await startFakeTei({ modelId: 'BAAI/bge-small-en-v1.5', dimensions: 384 });
    other = await startFakeTei({ modelId: 'intfloat/e5-small-v2', dimensions: 128 });
  });
  afterAll(async () => {
    await tei.close();
    await other.close();
  });

  it('re-embeds an unchanged corpus with 0 backend calls, and only the changed document after an edit', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-tei-cache-')), 'cache.db');
    const embedAll = async (docs: Map<string, string[]>): Promise<number[][]> => {
      // A new store and embedder each time, as a new process would open them.
      const store = openSqliteEmbeddingStore({ path });
      const cached = createEmbeddingCache(teiEmbedder(tei.url, 'BAAI/bge-small-en-v1.5', 'main', 384), { store });
      const vectors: number[][] = [];
      for (const chunks of docs.values()) vectors.push(...(await cached.embed({ texts: chunks, inputType: 'document' })).embeddings);
      store.close();
      return vectors;
    };

    const first = await embedAll(corpus());
    expect(embeddedTexts(tei)).toHaveLength(60);

    tei.clearRequests();
    const second = await embedAll(corpus());
    expect(tei.requestsTo('tei.embed')).toHaveLength(0);
    expect(second).toEqual(first);

    tei.clearRequests();
    const edited = corpus(3);
    const third = await embedAll(edited);
    expect(embeddedTexts(tei)).toEqual(edited.get('doc-3'));
    // The other documents' vectors are the ones embedded the first time; doc-3's are new.
    expect(third.slice(0, 30)).toEqual(first.slice(0, 30));
    expect(third.slice(40)).toEqual(first.slice(40));
    expect(third.slice(30, 40)).not.toEqual(first.slice(30, 40));
  });

  it('keeps two embedders with different identities apart in one store', async () => {
    const store = openSqliteEmbeddingStore({ path: ':memory:' });
    tei.clearRequests();
    other.clearRequests();
    const bge = createEmbeddingCache(teiEmbedder(tei.url, 'BAAI/bge-small-en-v1.5', 'main', 384), { store });
    const e5 = createEmbeddingCache(teiEmbedder(other.url, 'intfloat/e5-small-v2', 'main', 128), { store });
    // Same model, another revision: a different identity too.
    const bgeNext = createEmbeddingCache(teiEmbedder(tei.url, 'BAAI/bge-small-en-v1.5', 'v2', 384), { store });
    const texts = ['How many registers does RV32I have?', 'funct3 selects the operation.'];

    const a = await bge.embed({ texts });
    const b = await e5.embed({ texts });
    await bgeNext.embed({ texts });
    expect(embeddedTexts(tei)).toEqual([...texts, ...texts]);
    expect(embeddedTexts(other)).toEqual(texts);
    expect(a.embeddings[0]).toHaveLength(384);
    expect(b.embeddings[0]).toHaveLength(128);

    tei.clearRequests();
    other.clearRequests();
    expect((await bge.embed({ texts })).usage.cacheHit).toBe(true);
    expect((await e5.embed({ texts })).embeddings).toEqual(b.embeddings);
    expect(tei.requests).toHaveLength(0);
    expect(other.requests).toHaveLength(0);
    expect(await store.count()).toBe(6);
    store.close();
  });
});
