import { BackendUnreachableError, BadInputError, embedderIdentityKey } from '@ragbridge/core-interfaces';
import { createMockEmbedder } from '@ragbridge/core-interfaces/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingCache } from '../embedding-cache.js';
import { closedPort, describePostgres } from '@ragbridge/testkit/postgres';
import { openPostgresEmbeddingStore, type PostgresEmbeddingStore } from './postgres-embedding-store.js';

// Values a float32 cannot hold exactly, so the precision shows.
const vec = (seed: number, dims = 4): number[] => Array.from({ length: dims }, (_, i) => seed + i / 3 + 1e-12);

describe('openPostgresEmbeddingStore options', () => {
  it('rejects unknown options and a bad precision', async () => {
    await expect(openPostgresEmbeddingStore({ url: 'postgres://h/db', maxEntries: 5 } as never)).rejects.toThrow(BadInputError);
    await expect(openPostgresEmbeddingStore({ url: 'postgres://h/db', precision: 'float16' as never })).rejects.toThrow(/precision/);
  });

  it('a refused connection is a BackendUnreachableError without the password', async () => {
    const error = await openPostgresEmbeddingStore({ url: `postgres://app:hunter2-secret@127.0.0.1:${await closedPort()}/cache` }).catch((e: unknown) => e);
    expect(BackendUnreachableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Could not connect to PostgreSQL \(ECONNREFUSED\) \[postgres at postgres:\/\/127\.0\.0\.1:\d+\/cache\]/);
    expect((error as Error).message).not.toContain('hunter2-secret');
  });
});

describePostgres('PostgreSQL embedding store', ({ url, schema, admin }) => {
  let a: PostgresEmbeddingStore;
  let b: PostgresEmbeddingStore;
  beforeAll(async () => {
    // Two replicas opening the same schema at once: the tables are made once.
    [a, b] = await Promise.all([openPostgresEmbeddingStore({ url, schema }), openPostgresEmbeddingStore({ url, schema })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('returns exactly the vectors put, in the order asked, undefined where none, to every replica', async () => {
    await a.putMany([
      { key: 'k1', identityKey: 'model-a', vector: vec(1) },
      { key: 'k2', identityKey: 'model-a', vector: vec(2) },
    ]);
    expect(await b.getMany(['k2', 'missing', 'k1'])).toEqual([vec(2), undefined, vec(1)]);
    expect(await b.getMany([])).toEqual([]);
    const twice = await b.getMany(['k1', 'k1']);
    expect(twice[0]).toEqual(twice[1]);
    expect(twice[0]).not.toBe(twice[1]);
  });

  it('upserts: a key put again (or twice in one batch) keeps the last vector', async () => {
    await a.putMany([{ key: 'u1', identityKey: 'model-a', vector: vec(5) }]);
    await b.putMany([
      { key: 'u1', identityKey: 'model-a', vector: vec(6) },
      { key: 'u2', identityKey: 'model-a', vector: vec(7) },
      { key: 'u2', identityKey: 'model-a', vector: vec(8) },
    ]);
    expect(await a.getMany(['u1', 'u2'])).toEqual([vec(6), vec(8)]);
  });

  it('counts per identity and in all; concurrent overlapping batches from replicas all land', async () => {
    const batch = (from: number) => Array.from({ length: 50 }, (_, i) => ({ key: `c${from + i}`, identityKey: 'model-c', vector: vec(from + i, 8) }));
    await Promise.all([a.putMany(batch(0)), b.putMany(batch(25)), a.putMany(batch(10).reverse()), b.putMany(batch(40))]);
    expect(await a.count('model-c')).toBe(90);
    expect(await b.count()).toBe((await admin.query(`SELECT COUNT(*)::int AS n FROM "${schema}".embedding_cache`)).rows[0].n);
    const { rows } = await admin.query(`SELECT identity_key FROM "${schema}".embedding_identities ORDER BY identity_key`);
    expect(rows.map((r) => r.identity_key)).toEqual(['model-a', 'model-c']);
  });

  it('getMany is one query and putMany one statement, on a pool it is given (and leaves open)', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const sent: string[] = [];
    const counting = {
      query: (text: string, values?: unknown[]) => (sent.push(text), pool.query(text, values)),
      connect: () => pool.connect(),
      end: () => pool.end(),
    };
    const store = await openPostgresEmbeddingStore({ pool: counting, schema });
    sent.length = 0;
    await store.putMany(Array.from({ length: 20 }, (_, i) => ({ key: `q${i}`, identityKey: `model-${i % 3}`, vector: vec(i) })));
    expect(await store.getMany(Array.from({ length: 25 }, (_, i) => `q${i}`))).toHaveLength(25);
    expect(sent).toHaveLength(2);
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });

  it('float32 precision halves the bytes and rounds to 32-bit', async () => {
    const small = await openPostgresEmbeddingStore({ url, schema, precision: 'float32' });
    await small.putMany([{ key: 'f32', identityKey: 'model-f', vector: vec(9) }]);
    const [back] = await a.getMany(['f32']);
    expect(back).toEqual(Array.from(Float32Array.from(vec(9))));
    expect(back).not.toEqual(vec(9));
    const { rows } = await admin.query(`SELECT octet_length(vector) AS bytes FROM "${schema}".embedding_cache WHERE key = 'f32'`);
    expect(rows[0].bytes).toBe(16);
    await small.close();
  });

  it('serves an embedding cache: a text one replica embedded is a hit on another', async () => {
    const first = createMockEmbedder();
    const original = await createEmbeddingCache(first, { store: a }).embed({ texts: ['shared', 'vectors'] });
    const second = createMockEmbedder();
    const cached = createEmbeddingCache(second, { store: b });
    const again = await cached.embed({ texts: ['vectors', 'shared'] });
    expect(second.requests).toEqual([]);
    expect(again.usage.cacheHit).toBe(true);
    expect(again.embeddings).toEqual([original.embeddings[1], original.embeddings[0]]);
    expect(await b.count(embedderIdentityKey(second.identity))).toBe(2);
  });
});
