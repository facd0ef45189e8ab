import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '@ragbridge/store-postgres';
import { describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { doctorCommand } from './doctor-command.js';
import { checkDatabase, formatDatabase } from './doctor-database.js';
const { closedPort, describePostgres } = await import('@ragbridge/testkit/postgres');

describe('ragbridge doctor: a PostgreSQL storage that does not work', () => {
  it('says it is not reachable and what to do, never the password; the doctor exits 1', async () => {
    const url = `postgres://rag:Doctor-Secret-42@127.0.0.1:${await closedPort()}/rag`;
    const report = await checkDatabase({ kind: 'postgres', url });
    expect(report.ok).toBe(false);
    expect(formatDatabase(report).split('\n')).toEqual([
      expect.stringMatching(/^Database: PostgreSQL at postgres:\/\/127\.0\.0\.1:\d+\/rag, schema ragbridge$/),
      '  ✗ not reachable (ECONNREFUSED)',
      '       fix: start PostgreSQL, or correct the host and port in DATABASE_URL (storage.url)',
    ]);

    const out = sink();
    const code = await doctorCommand({ env: { DATABASE_URL: url, RAGBRIDGE_PROFILE: 'offline', HF_HUB_OFFLINE: '1' }, cwd: mkdtempSync(join(tmpdir(), 'rb-doctor-db-')), out: out.stream, err: sink().stream });
    expect(code).toBe(1);
    expect(out.text()).toContain('  ✗ not reachable (ECONNREFUSED)');
    expect(out.text()).toContain('The database does not work: every command that reads or writes documents fails until it does (see above).');
    expect(out.text()).not.toContain('Doctor-Secret-42');
  });
});

describePostgres('ragbridge doctor: the PostgreSQL storage', ({ url, schema }) => {
  it('reachable, pgvector installed, and the document store’s schema version once a store was opened', async () => {
    const before = await checkDatabase({ kind: 'postgres', url, schema });
    expect(before.checks[0]).toMatchObject({ mark: '✓', text: expect.stringMatching(/^reachable \(PostgreSQL 1\d[.\d]* .*\d+ ms\)$/) });
    // Nothing was written: the schema is created by the first store that opens it.
    if (before.checks[1]?.mark === '✓') expect(before.checks[2]).toMatchObject({ mark: '·', text: `schema ${schema} holds no document store of this version yet: the first ingest or ragbridge migrate creates (or upgrades) its tables` });
    expect(before.ok).toBe(true);

    await (await openPostgresStore({ url, schema })).close();
    const after = await checkDatabase({ kind: 'postgres', url, schema });
    expect(after.checks.slice(1)).toEqual([
      { mark: '✓', text: expect.stringMatching(/^pgvector \d+\.\d+\.\d+ installed$/) },
      { mark: '✓', text: `schema ${schema}: document store at version 1` },
    ]);
    expect(formatDatabase(after)).not.toContain(new URL(url).password || '\u0000');
  });

  it('a vector space without its HNSW index (a bulk load cut short): said, with the fix; once built, said so', async () => {
    const identity = { provider: 'test', modelId: 'doctor-model', revision: '1', pooling: 'mean' as const, normalized: true };
    const loader = await openPostgresStore({ url, schema, deferVectorIndex: true });
    try {
      await loader.putDocument({
        document: { id: 'd', source: '/d.txt', name: 'd.txt', mediaType: 'text/plain', contentHash: 'h', pageCount: 1, byteSize: 1, ingestedAt: 1 },
        chunks: [0, 1].map((i) => ({ id: `d#${i}`, docId: 'd', text: 'x', page: 1, pageEnd: 1, pageLabel: '1', sectionPath: [], charStart: 0, charEnd: 1, terms: 'x', headingTerms: '' })),
        documentTerms: 'd',
      });
      await loader.putVectors({ identity, entries: [{ chunkId: 'd#0', vector: [1, 0, 0] }, { chunkId: 'd#1', vector: [0, 1, 0] }] });
      const missing = await checkDatabase({ kind: 'postgres', url, schema });
      expect(missing.ok).toBe(true);
      expect(formatDatabase(missing)).toContain('  ! vectors of provider=test;model=doctor-model;revision=1;pooling=mean;normalized=true;dims=;query=;document=: 2, no HNSW index (a bulk load cut short?): every vector search compares all of them\n       fix: run ragbridge migrate again (it builds missing indexes), or call buildVectorIndexes() on the store');
      await loader.buildVectorIndexes();
      expect((await checkDatabase({ kind: 'postgres', url, schema })).checks.at(-1)).toEqual({ mark: '✓', text: expect.stringMatching(/^vectors of provider=test;model=doctor-model;.*: 2, HNSW index$/) });
    } finally {
      await loader.close();
    }
  });
});
