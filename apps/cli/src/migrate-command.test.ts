import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedderIdentityKey, type EmbedderIdentity } from '@ragbridge/core-interfaces';
import { openSqliteStore } from '@ragbridge/pipeline';
import { prepareSampleCorpus } from '@ragbridge/sample-corpus';
import { openPostgresStore } from '@ragbridge/store-postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { askCommand } from './commands.js';
import { ingestCommand } from './ingest-command.js';
import { migrateCommand, type MigrateCommandOptions } from './migrate-command.js';
const { closedPort, describePostgres } = await import('@ragbridge/testkit/postgres');

/** Two embedder identities of different sizes, as a store that changed embedders holds them. */
const SMALL: EmbedderIdentity = { provider: 'test', modelId: 'small-model', revision: 'r1', pooling: 'mean', normalized: true };
const LARGE: EmbedderIdentity = { provider: 'test', modelId: 'large-model', revision: 'r2', pooling: 'cls', normalized: true };

/** A deterministic vector per chunk, so the copy can be compared value by value. */
function vectorOf(chunkId: string, dims: number): number[] {
  const bytes = createHash('sha256').update(`${chunkId}:${dims}`).digest();
  return Array.from({ length: dims }, (_, i) => ((bytes[i % bytes.length] as number) - 128) / 128);
}

/**
 * The environment of a command: the offline profile with keyword retrieval and no reranker (the
 * answers depend on the store alone), nothing downloaded, no PostgreSQL unless given.
 */
const offline = (extra: Record<string, string> = {}): Record<string, string> => ({
  RAGBRIDGE_PROFILE: 'offline',
  RAGBRIDGE_RETRIEVAL__MODE: 'keyword',
  RAGBRIDGE_MODELS__RERANKER__CHAIN: '[]',
  HF_HUB_OFFLINE: '1',
  DATABASE_URL: '',
  ...extra,
});

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

async function migrate(options: MigrateCommandOptions): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await migrateCommand({ ...options, out: out.stream, err: err.stream });
  return { code, out: out.text(), err: err.text() };
}

async function askJson(question: string, options: { store?: string; env: Record<string, string> }): Promise<Array<{ where: string }>> {
  const out = sink();
  await askCommand(question, { ...options, json: true, out: out.stream });
  return (JSON.parse(out.text()) as { citations: Array<{ where: string }> }).citations;
}

describePostgres('ragbridge migrate: a SQLite store into PostgreSQL', ({ url, schema, admin }) => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-migrate-'));
  const sqlite = join(dir, 'store.db');
  /** PostgreSQL storage from DATABASE_URL, in this block's schema. */
  const postgres = offline({ DATABASE_URL: url, RAGBRIDGE_STORAGE__KIND: 'postgres', RAGBRIDGE_STORAGE__SCHEMA: schema });
  let documents = 0;
  let chunks = 0;

  beforeAll(async () => {
    const files = await prepareSampleCorpus(join(dir, 'sample'));
    expect(await ingestCommand(files, { store: sqlite, workers: 0, env: offline(), out: sink().stream, err: sink().stream })).toBe(0);
    // Stored vectors of two identities: every chunk for one, every other chunk for the other.
    const store = openSqliteStore({ path: sqlite });
    try {
      const ids = (await Promise.all((await store.listDocuments()).map((d) => store.getDocumentChunks(d.id)))).flat().map((c) => c.id);
      await store.putVectors({ identity: SMALL, entries: ids.map((chunkId) => ({ chunkId, vector: vectorOf(chunkId, 8) })) });
      await store.putVectors({ identity: LARGE, entries: ids.filter((_, i) => i % 2 === 0).map((chunkId) => ({ chunkId, vector: vectorOf(chunkId, 16) })) });
      ({ documents, chunks } = await store.stats());
    } finally {
      await store.close();
    }
    expect(documents).toBeGreaterThan(3);
  }, 120_000);

  it('copies every document, chunk and vector of every identity; progress per document; the source untouched', async () => {
    const before = sha256(sqlite);
    const first = await migrate({ from: sqlite, to: url, schema, yes: true, env: offline(), cwd: dir });
    expect(first.code).toBe(0);
    const progress = first.err.split('\n').filter((line) => /^\[\d+\/\d+\] /.test(line));
    expect(progress).toHaveLength(documents);
    expect(progress.every((line) => / copied \(\d+ chunks, \d+ vectors\)$/.test(line))).toBe(true);
    expect(first.out).toMatch(new RegExp(`${documents} document\\(s\\) copied, 0 already there`));
    expect(first.out).toContain(`Chunks copied: ${chunks}.`);
    const half = Math.ceil(chunks / 2);
    expect(first.out).toContain(`  ${chunks}  ${embedderIdentityKey(SMALL)}`);
    expect(first.out).toContain(`  ${half}  ${embedderIdentityKey(LARGE)}`);
    expect(first.out).toMatch(/^Migrated in \d+\.\d s/);
    expect(first.err + first.out).not.toContain(new URL(url).password || '\u0000');
    expect(sha256(sqlite)).toBe(before);
    // Each new space's HNSW index is built once its vectors are in, not maintained insert by insert.
    expect(first.err).toContain(`Building the HNSW index of ${chunks} vectors (${embedderIdentityKey(SMALL)})…`);
    expect(first.err).toContain(`Building the HNSW index of ${half} vectors (${embedderIdentityKey(LARGE)})…`);

    const target = await openPostgresStore({ url, schema });
    try {
      const indexes = (await target.vectorIndexes()).map((v) => [v.identityKey, v.vectors, v.indexed]);
      expect(indexes).toHaveLength(2);
      expect(indexes).toEqual(expect.arrayContaining([[embedderIdentityKey(SMALL), chunks, true], [embedderIdentityKey(LARGE), half, true]]));
      const stats = await target.stats();
      expect(stats).toMatchObject({ documents, chunks });
      expect(stats.vectors).toEqual({ [embedderIdentityKey(SMALL)]: chunks, [embedderIdentityKey(LARGE)]: half });
      // The vectors are the ones stored, not new ones: the nearest to a chunk's own vector is that chunk.
      const [doc] = await target.listDocuments();
      const [chunk] = await target.getDocumentChunks(doc?.id ?? '');
      const [nearest] = await target.vectorSearch.vectorCandidates({ identity: SMALL, vector: vectorOf(chunk?.id ?? '', 8), limit: 1 });
      expect(nearest?.id).toBe(chunk?.id);
      expect(nearest?.score).toBeCloseTo(1, 5);
    } finally {
      await target.close();
    }
  }, 120_000);

  it('a second run changes nothing', async () => {
    const again = await migrate({ from: sqlite, to: url, schema, yes: true, env: offline(), cwd: dir });
    expect(again.code).toBe(0);
    expect(again.out).toMatch(new RegExp(`0 document\\(s\\) copied, ${documents} already there`));
    expect(again.out).toContain('Chunks copied: 0.');
    expect(again.out).toContain('Vectors copied: none.');
    expect(again.err).not.toContain('Building the HNSW index');
    expect(again.err.split('\n').filter((line) => line.endsWith(': unchanged, skipped'))).toHaveLength(documents);
  }, 60_000);

  it('ask against PostgreSQL gives the top citations ask against SQLite gives', async () => {
    for (const question of ['Why do the adapters not retry or fall back on their own?', 'Which profiles are built in?', 'How are secrets kept out of logs?']) {
      const fromSqlite = await askJson(question, { store: sqlite, env: offline() });
      const fromPostgres = await askJson(question, { env: postgres });
      expect(fromSqlite.length).toBeGreaterThan(0);
      expect(fromPostgres.slice(0, 3).map((c) => c.where)).toEqual(fromSqlite.slice(0, 3).map((c) => c.where));
    }
  }, 120_000);

  it('defaults: --to from DATABASE_URL, --schema from storage.schema; without a terminal, --yes is needed', async () => {
    const refused = await migrate({ from: sqlite, env: postgres, cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('run again with --yes');
    const byDefault = await migrate({ from: sqlite, yes: true, env: postgres, cwd: dir });
    expect(byDefault.code).toBe(0);
    expect(byDefault.err).toContain(`(schema ${schema})`);
    expect(byDefault.out).toMatch(new RegExp(`0 document\\(s\\) copied, ${documents} already there`));
  }, 60_000);

  it('builds the indexes of the spaces it creates as storage.hnsw says', async () => {
    const other = `${schema}_hnsw`;
    const tuned = offline({ DATABASE_URL: url, RAGBRIDGE_STORAGE__KIND: 'postgres', RAGBRIDGE_STORAGE__SCHEMA: other, RAGBRIDGE_STORAGE__HNSW: '{"m":8,"efConstruction":40}' });
    try {
      expect((await migrate({ from: sqlite, yes: true, env: tuned, cwd: dir })).code).toBe(0);
      const { rows } = await admin.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%USING hnsw%'", [other]);
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.indexdef).toContain("WITH (m='8', ef_construction='40')");
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${other}" CASCADE`);
    }
  }, 120_000);
});

describe('ragbridge migrate: clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rb-migrate-errors-'));

  it('a file that is not a ragbridge store: named, and left as it is', async () => {
    const notes = join(dir, 'notes.db');
    writeFileSync(notes, 'not a database '.repeat(50));
    const error = await migrate({ from: notes, to: 'postgres://rag@127.0.0.1:9/rag', yes: true, env: offline(), cwd: dir }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^migrate --from .*notes\.db: cannot be read as a ragbridge store \(.*\); it was left unchanged$/);
    expect(readFileSync(notes, 'utf8')).toBe('not a database '.repeat(50));
  });

  it('no source, no target, a target that is not PostgreSQL: usage errors saying what to give', async () => {
    await expect(migrate({ env: offline(), cwd: dir })).rejects.toThrow(/migrate: no SQLite store at .* give the file with --from FILE/);
    const empty = join(dir, 'empty.db');
    await openSqliteStore({ path: empty }).close();
    await expect(migrate({ from: empty, env: offline(), cwd: dir })).rejects.toThrow('migrate: give the PostgreSQL database with --to postgres://… or set DATABASE_URL');
    await expect(migrate({ from: empty, to: 'mysql://root:pw@db/app', env: offline(), cwd: dir })).rejects.toThrow(/expected a postgres:\/\/ or postgresql:\/\/ URL, got mysql:\/\/db\/app/);
  });

  it('a database that does not answer: said with the URL, never its password', async () => {
    const empty = join(dir, 'empty2.db');
    await openSqliteStore({ path: empty }).close();
    const to = `postgres://rag:Migrate-Secret-77@127.0.0.1:${await closedPort()}/rag`;
    const error = (await migrate({ from: empty, to, yes: true, env: offline(), cwd: dir }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^migrate --to postgres:\/\/127\.0\.0\.1:\d+\/rag: .*ECONNREFUSED/);
    expect(error.message).not.toContain('Migrate-Secret-77');
  });
});
