import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CRASH_TEST_IDENTITY, crashTestVector } from './__fixtures__/crash-test-documents.js';
import { rawClient, requireDatabaseUrl, skipPostgres, testSchemas } from './__fixtures__/test-database.js';

const CHUNKS = 3000;
const CHILD = fileURLToPath(new URL('./__fixtures__/ingest-forever.ts', import.meta.url));
const APPLICATION = `ragbridge-crash-child-${process.pid}`;

describe.skipIf(skipPostgres)('kill -9 of a replica mid-ingest', () => {
  const schemas = testSchemas('crash');

  it('leaves no half document, and the other replica keeps answering', async () => {
    const reader = await schemas.open();
    const watcher = await rawClient();
    const url = new URL(requireDatabaseUrl());
    url.searchParams.set('application_name', APPLICATION);
    const child = spawn(process.execPath, ['--conditions=@ragbridge/source', '--import', 'tsx', CHILD, url.toString(), reader.schema, String(CHUNKS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout });
    const stored: string[] = [];
    let putting = 0;
    const progress = new Promise<void>((ready) =>
      lines.on('line', (line) => {
        if (line.startsWith('stored ')) stored.push(line.slice(7));
        if (line.startsWith('putting ')) putting++;
        // One document stored whole, and the next put (a new one) under way.
        if (stored.length >= 1 && putting >= 3) ready();
      }),
    );

    // The reading replica asks its questions the whole time, and checks each document it sees is whole.
    let answered = 0;
    let reading = true;
    const readFailures: unknown[] = [];
    const readLoop = (async () => {
      while (reading) {
        try {
          const found = await reader.keywordSearch.keywordCandidates({ groups: [['manual'], ['c7']], limit: 5, rareTermLimit: 10 });
          const near = await reader.vectorSearch.vectorCandidates({ identity: CRASH_TEST_IDENTITY, vector: crashTestVector(7), limit: 3 });
          for (const doc of await reader.listDocuments()) {
            const chunks = await reader.getDocumentChunks(doc.id);
            if (chunks.length !== 0 && chunks.length !== CHUNKS) throw new Error(`${doc.id} seen with ${chunks.length} of ${CHUNKS} chunks`);
          }
          if (found.stats.chunks % CHUNKS !== 0) throw new Error(`the statistics count ${found.stats.chunks} chunks, not whole documents`);
          if (stored.length > 0 && near.length === 0 && found.chunks.length === 0) throw new Error('nothing found while documents are stored');
          answered++;
        } catch (error) {
          readFailures.push(error);
        }
      }
    })();

    try {
      await Promise.race([
        progress,
        exited.then(([code, signal]) => {
          throw new Error(`the ingesting replica exited (${String(signal ?? code)}) before storing a document`);
        }),
      ]);
      // Kill while its transaction has written rows (an xid is assigned at the first write).
      const writing = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND backend_xid IS NOT NULL`;
      while ((await watcher.query<{ n: number }>(writing, [APPLICATION])).rows[0]?.n === 0);
      child.kill('SIGKILL');
      const [code, signal] = await exited;
      expect(signal ?? code).toBe('SIGKILL');
      // The server ends the dead client's backend (and rolls its transaction back) once it notices.
      const alive = 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1';
      while ((await watcher.query<{ n: number }>(alive, [APPLICATION])).rows[0]?.n !== 0);
      const answeredBefore = answered;
      while (answered < answeredBefore + 3 && readFailures.length === 0) await new Promise((r) => setImmediate(r));
    } finally {
      reading = false;
      await readLoop;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    expect(readFailures).toEqual([]);
    expect(answered).toBeGreaterThan(3);
    const s = `"${reader.schema}"`;
    const perDocument = await watcher.query<{ id: string; chunks: number }>(`SELECT d.id, count(c.pk)::int AS chunks FROM ${s}.documents d LEFT JOIN ${s}.chunks c ON c.doc_id = d.id GROUP BY d.id`);
    expect(perDocument.rows.length).toBeGreaterThanOrEqual(1);
    for (const row of perDocument.rows) expect(row.chunks, row.id).toBe(CHUNKS);
    const counts = (await watcher.query(`SELECT documents::int, chunks::int, chunk_terms::int FROM ${s}.collection`)).rows[0];
    const recount = (await watcher.query(`SELECT (SELECT count(*)::int FROM ${s}.documents) AS documents, count(*)::int AS chunks, coalesce(sum(term_count), 0)::int AS chunk_terms FROM ${s}.chunks`)).rows[0];
    expect(counts).toEqual(recount);
    const frequencies = await watcher.query<{ differing: number }>(
      `SELECT count(*)::int AS differing FROM (SELECT u.lexeme AS term, count(*)::int AS n FROM ${s}.chunks c, unnest(c.tsv) u GROUP BY u.lexeme) r
       FULL JOIN ${s}.chunk_term_stats t USING (term) WHERE r.n IS DISTINCT FROM t.chunks`,
    );
    expect(frequencies.rows[0]?.differing).toBe(0);
    // Still answering, and the stored documents are found.
    const after = await reader.keywordSearch.keywordCandidates({ groups: [['c7']], limit: 10, rareTermLimit: 10 });
    expect(after.chunks.map((c) => c.id).sort()).toEqual(perDocument.rows.map((r) => `${r.id}#7`).sort());
    await watcher.end();
    await reader.close();
  }, 240_000);
});
