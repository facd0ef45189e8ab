import { BadInputError, type DocumentRecord } from '@ragbridge/core-interfaces';
import type pg from 'pg';
import { chunkIndexEntry, distinctTerms } from './text-search-literals.js';
import { lockKey, type StoreTables } from './sql-names.js';

// Every write keeps the collection statistics (chunk frequency per term, description-term
// frequency, counts and total lengths) current in its own transaction: deltas of what it removes and
// adds, so keyword search never counts over the corpus. Lock order, the same in every write, keeps
// concurrent writers from deadlocking: advisory locks (sorted), the documents replaced (FOR UPDATE),
// the statistics rows in term order (one statement per table), the collection row last.

/** Rows per INSERT of chunks: bounds one statement's parameters for documents of thousands of chunks. */
const CHUNK_INSERT_BATCH = 1000;

interface Removed {
  documents: number;
  chunks: number;
  chunkTerms: number;
  documentTerms: number;
  /** Chunk frequency per term of the removed chunks. */
  chunkFrequency: Map<string, number>;
  /** Description terms of the removed documents (each document counts a term once). */
  documentFrequency: Map<string, number>;
}

const NOTHING_REMOVED: Removed = { documents: 0, chunks: 0, chunkTerms: 0, documentTerms: 0, chunkFrequency: new Map(), documentFrequency: new Map() };

/** Takes transaction-level advisory locks in ascending key order (so two writers never wait on each other in a cycle). */
async function lockKeys(client: pg.ClientBase, keys: string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  for (const key of sorted) await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [key]);
}

/** Locks the documents with these ids or sources, reads what removing them takes off the statistics, and deletes them (chunks and vectors cascade). */
async function removeDocuments(client: pg.ClientBase, t: StoreTables, where: string, params: unknown[]): Promise<Removed> {
  const docs = await client.query<{ id: string; terms: string; term_count: number }>(`SELECT id, terms, term_count FROM ${t.documents} WHERE ${where} FOR UPDATE`, params);
  if (docs.rows.length === 0) return NOTHING_REMOVED;
  const ids = docs.rows.map((d) => d.id);
  const counts = await client.query<{ chunks: number; terms: string }>(`SELECT count(*)::int AS chunks, coalesce(sum(term_count), 0)::text AS terms FROM ${t.chunks} WHERE doc_id = ANY($1)`, [ids]);
  // The lexemes of a chunk's tsvector are exactly the distinct terms counted when it was written.
  const lexemes = await client.query<{ term: string; n: number }>(
    `SELECT u.lexeme AS term, count(*)::int AS n FROM ${t.chunks} c, unnest(c.tsv) u WHERE c.doc_id = ANY($1) GROUP BY u.lexeme`,
    [ids],
  );
  const documentFrequency = new Map<string, number>();
  for (const doc of docs.rows) for (const term of distinctTerms(doc.terms)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  await client.query(`DELETE FROM ${t.documents} WHERE id = ANY($1)`, [ids]);
  return {
    documents: ids.length,
    chunks: counts.rows[0]?.chunks ?? 0,
    chunkTerms: Number(counts.rows[0]?.terms ?? 0),
    documentTerms: docs.rows.reduce((sum, d) => sum + d.term_count, 0),
    chunkFrequency: new Map(lexemes.rows.map((r) => [r.term, r.n])),
    documentFrequency,
  };
}

/** Adds `added - removed` to a term statistics table, in term order, and drops the terms no longer held. */
async function applyTermDeltas(client: pg.ClientBase, table: string, column: 'chunks' | 'documents', added: Map<string, number>, removed: Map<string, number>): Promise<void> {
  const delta = new Map(added);
  for (const [term, n] of removed) delta.set(term, (delta.get(term) ?? 0) - n);
  const terms = [...delta.keys()].filter((term) => delta.get(term) !== 0);
  if (terms.length === 0) return;
  const counts = terms.map((term) => delta.get(term) as number);
  await client.query(
    `INSERT INTO ${table} AS s (term, ${column})
     SELECT term, n FROM unnest($1::text[], $2::int[]) AS d(term, n) ORDER BY term COLLATE "C"
     ON CONFLICT (term) DO UPDATE SET ${column} = s.${column} + excluded.${column}`,
    [terms, counts],
  );
  const shrunk = terms.filter((term) => (delta.get(term) as number) < 0);
  if (shrunk.length > 0) await client.query(`DELETE FROM ${table} WHERE term = ANY($1) AND ${column} = 0`, [shrunk]);
}

async function updateCollection(client: pg.ClientBase, t: StoreTables, documents: number, chunks: number, chunkTerms: number, documentTerms: number): Promise<void> {
  await client.query(
    `UPDATE ${t.collection} SET revision = revision + 1, documents = documents + $1, chunks = chunks + $2,
       chunk_terms = chunk_terms + $3, document_terms = document_terms + $4`,
    [documents, chunks, chunkTerms, documentTerms],
  );
}

/** Refuses a record whose chunks share an id or name another document (before anything is written). */
function checkRecord(record: DocumentRecord): void {
  const docId = record.document.id;
  const seen = new Set<string>();
  for (const chunk of record.chunks) {
    if (seen.has(chunk.id)) throw new BadInputError({ backend: 'postgres', message: `Document "${docId}" has two chunks with the id "${chunk.id}"`, hint: 'Give every chunk of a document its own id.' });
    seen.add(chunk.id);
    if (chunk.docId !== docId) {
      throw new BadInputError({ backend: 'postgres', message: `Chunk "${chunk.id}" names document "${chunk.docId}" but is stored with document "${docId}"`, hint: 'Set each chunk\'s docId to its document\'s id.' });
    }
  }
}

/** A chunk id taken by another document: the unique index refused the insert. */
function chunkIdTaken(error: unknown): BadInputError | undefined {
  const e = error as { code?: string; constraint?: string; detail?: string };
  if (e?.code !== '23505' || !e.constraint?.startsWith('chunks_id')) return undefined;
  return new BadInputError({ backend: 'postgres', cause: error, message: `A chunk id of this document already belongs to another document (${e.detail ?? 'duplicate chunk id'})`, hint: 'Chunk ids must be unique across the store: derive them from the document id.' });
}

/**
 * Replaces the document with the same id or source by `record`, with its chunks, in one
 * transaction. Advisory locks on the id and the source make two writers of the same document (two
 * replicas ingesting one file) take turns: the second replaces the first, one copy remains.
 */
export async function writeDocument(client: pg.ClientBase, t: StoreTables, record: DocumentRecord): Promise<void> {
  checkRecord(record);
  const { document } = record;
  const entries = record.chunks.map((chunk) => chunkIndexEntry(chunk.terms, chunk.headingTerms));
  const chunkFrequency = new Map<string, number>();
  for (const entry of entries) for (const term of entry.lexemes) chunkFrequency.set(term, (chunkFrequency.get(term) ?? 0) + 1);
  // A description is indexed like a chunk's text (positions give the term frequencies BM25 needs).
  const description = chunkIndexEntry(record.documentTerms, '');
  const documentTermCount = description.termCount;

  await lockKeys(client, [lockKey('document-id', t.schemaName, document.id), lockKey('document-source', t.schemaName, document.source)]);
  const removed = await removeDocuments(client, t, 'id = $1 OR source = $2', [document.id, document.source]);
  await client.query(
    `INSERT INTO ${t.documents} (id, source, name, title, media_type, content_hash, page_count, byte_size, ingested_at, terms, term_count, tsv)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::tsvector)`,
    [
      document.id,
      document.source,
      document.name,
      document.title ?? null,
      document.mediaType,
      document.contentHash,
      document.pageCount,
      document.byteSize,
      document.ingestedAt,
      record.documentTerms,
      documentTermCount,
      description.tsvector,
    ],
  );
  try {
    for (let start = 0; start < record.chunks.length; start += CHUNK_INSERT_BATCH) {
      const batch = record.chunks.slice(start, start + CHUNK_INSERT_BATCH);
      const batchEntries = entries.slice(start, start + CHUNK_INSERT_BATCH);
      await client.query(
        `INSERT INTO ${t.chunks} (id, doc_id, ord, text, page, page_end, page_label, section_path, section_title, section_anchor, char_start, char_end, terms, heading_terms, term_count, tsv)
         SELECT id, $1, ord, text, page, page_end, page_label, section_path, section_title, section_anchor, char_start, char_end, terms, heading_terms, term_count, tsv::tsvector
         FROM unnest($2::text[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[], $8::jsonb[], $9::text[], $10::text[], $11::int[], $12::int[], $13::text[], $14::text[], $15::int[], $16::text[])
           AS c(id, ord, text, page, page_end, page_label, section_path, section_title, section_anchor, char_start, char_end, terms, heading_terms, term_count, tsv)
         ORDER BY ord`,
        [
          document.id,
          batch.map((c) => c.id),
          batch.map((_, i) => start + i),
          batch.map((c) => c.text),
          batch.map((c) => c.page),
          batch.map((c) => c.pageEnd),
          batch.map((c) => c.pageLabel),
          batch.map((c) => JSON.stringify(c.sectionPath)),
          batch.map((c) => c.section?.title ?? null),
          batch.map((c) => c.section?.anchor ?? null),
          batch.map((c) => c.charStart),
          batch.map((c) => c.charEnd),
          batch.map((c) => c.terms),
          batch.map((c) => c.headingTerms),
          batchEntries.map((e) => e.termCount),
          batchEntries.map((e) => e.tsvector),
        ],
      );
    }
  } catch (error) {
    throw chunkIdTaken(error) ?? error;
  }
  await applyTermDeltas(client, t.chunkTermStats, 'chunks', chunkFrequency, removed.chunkFrequency);
  await applyTermDeltas(client, t.documentTermStats, 'documents', new Map(description.lexemes.map((term) => [term, 1])), removed.documentFrequency);
  const chunkTerms = entries.reduce((sum, e) => sum + e.termCount, 0);
  await updateCollection(client, t, 1 - removed.documents, record.chunks.length - removed.chunks, chunkTerms - removed.chunkTerms, documentTermCount - removed.documentTerms);
}

/** Deletes a document with its chunks and vectors; false when there was none. */
export async function removeDocument(client: pg.ClientBase, t: StoreTables, id: string): Promise<boolean> {
  await lockKeys(client, [lockKey('document-id', t.schemaName, id)]);
  const removed = await removeDocuments(client, t, 'id = $1', [id]);
  if (removed.documents === 0) return false;
  await applyTermDeltas(client, t.chunkTermStats, 'chunks', new Map(), removed.chunkFrequency);
  await applyTermDeltas(client, t.documentTermStats, 'documents', new Map(), removed.documentFrequency);
  await updateCollection(client, t, -removed.documents, -removed.chunks, -removed.chunkTerms, -removed.documentTerms);
  return true;
}
