import type Database from 'better-sqlite3';
import type { ChunkTerms, DocumentTerms, KeywordCandidates, KeywordCandidatesQuery, KeywordSearchV1 } from '@ragbridge/core-interfaces';
import { selectCandidates } from '../retrieval/candidate-selection.js';
import { BM25_DEFAULTS, inverseChunkFrequency } from '../retrieval/keyword-index.js';
import { openKeywordSnapshot, readSnapshotTag, type OpenSnapshot, writeKeywordSnapshot } from './keyword-snapshot.js';
import { StoreKeywordIndex } from './store-keyword-index.js';

/** Chunks indexed between two turns of the event loop while the index is built from every row. */
const BUILD_SLICE = 2_000;
/** A snapshot is written again (at close) once this many documents changed since, or this share of them. */
const SNAPSHOT_MIN_CHANGES = 8;
const SNAPSHOT_CHANGE_SHARE = 0.05;
/** Candidate rows kept in memory (questions share many candidates); the oldest go first. */
const CACHED_ROWS = 20_000;
/** Removed chunk slots are compacted away past this many, or this share of all slots. */
const COMPACT_MIN_REMOVED = 1_024;
const COMPACT_REMOVED_SHARE = 0.25;

/** How the keyword index came to be and what it holds (see `SqliteStore.keywordIndexStatus`). */
export interface KeywordIndexStatus {
  /** Where this connection's index was loaded from: a snapshot, or a scan of every chunk. */
  loadedFrom: 'snapshot' | 'scan';
  chunks: number;
  documents: number;
  /** Chunk slots of removed or replaced documents, not yet compacted away. */
  removedChunks: number;
  /** The change-log sequence the index has caught up with. */
  seq: number;
  /** Scans of every chunk since the store was opened (an incremental update never scans). */
  fullScans: number;
  /** Documents added or removed from the change log since the index was loaded. */
  changesApplied: number;
}

/** The SQLite store's keyword search, with what the store adds beyond the contract. */
export interface SqliteKeywordSearch {
  readonly provider: KeywordSearchV1;
  status(): KeywordIndexStatus | undefined;
  /** Writes a snapshot when the index changed enough since the last one, then forgets the index. */
  close(): Promise<void>;
}

/** Options of {@link createSqliteKeywordSearch}. */
export interface SqliteKeywordSearchOptions {
  /** The snapshot file beside the store; none for a store in memory. */
  snapshotPath: string | undefined;
  /** Write snapshots at close (a file store opened for writing). */
  writeSnapshots: boolean;
}

interface ChunkRow {
  pk: number;
  doc_id: string;
  terms: string;
  heading_terms: string;
}

/**
 * Keyword candidates from an index the store keeps in memory. It is loaded from the latest snapshot
 * (or, without one, built from every chunk, in slices), then follows the change log: before each
 * search the documents put or deleted since the sequence it covers, by this connection or any
 * other, are read and applied (a removed document's chunks are skipped until compaction), so no
 * write ever makes it scan every chunk again. At close, a writer snapshots it when enough changed.
 */
export function createSqliteKeywordSearch(db: Database.Database, options: SqliteKeywordSearchOptions): SqliteKeywordSearch {
  const statements = {
    latestSeq: db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM changes'),
    prunedThrough: db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'changes_pruned_through'"),
    changedSince: db.prepare<[number], { doc_id: string }>('SELECT doc_id FROM changes WHERE seq > ? ORDER BY seq'),
    documentsByIds: db.prepare<[string], { id: string; terms: string }>('SELECT id, terms FROM documents WHERE id IN (SELECT value FROM json_each(?)) ORDER BY rowid'),
    chunksOfDocuments: db.prepare<[string], ChunkRow>('SELECT pk, doc_id, terms, heading_terms FROM chunks WHERE doc_id IN (SELECT value FROM json_each(?)) ORDER BY pk'),
    allDocuments: db.prepare<[], { id: string; terms: string }>('SELECT id, terms FROM documents ORDER BY rowid'),
    allChunks: db.prepare<[], ChunkRow>('SELECT pk, doc_id, terms, heading_terms FROM chunks ORDER BY pk'),
    candidateRows: db.prepare<[string], { pk: number; id: string; doc_id: string; page: number; terms: string; heading_terms: string }>(
      'SELECT pk, id, doc_id, page, terms, heading_terms FROM chunks WHERE pk IN (SELECT value FROM json_each(?))',
    ),
    documentCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM documents'),
    storeId: db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'store_id'"),
    pruneChanges: db.prepare<[number]>('DELETE FROM changes WHERE seq <= ?'),
    setPrunedThrough: db.prepare<[string]>("INSERT INTO meta (key, value) VALUES ('changes_pruned_through', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
  };
  const latestSeq = (): number => statements.latestSeq.get()?.seq ?? 0;
  const prunedThrough = (): number => Number(statements.prunedThrough.get()?.value ?? 0);
  const storeId = (): string | undefined => statements.storeId.get()?.value;
  /** The snapshot file the index reads postings from, kept open while it does. */
  let snapshotFile: OpenSnapshot | undefined;
  const dropSnapshotFile = (): void => {
    snapshotFile?.close();
    snapshotFile = undefined;
  };

  let index: StoreKeywordIndex | undefined;
  let seq = 0;
  let loadedFrom: KeywordIndexStatus['loadedFrom'] = 'scan';
  let loading: Promise<StoreKeywordIndex> | undefined;
  let fullScans = 0;
  let changesApplied = 0;
  // Rows and descriptions read for earlier questions. A chunk row key may be reused after its
  // document is removed, so any removal forgets every row; a changed document its description.
  const rowCache = new Map<number, ChunkTerms>();
  const descriptionCache = new Map<string, DocumentTerms>();
  const forget = (changed: readonly string[] | 'all', removed: boolean): void => {
    if (removed) rowCache.clear();
    if (changed === 'all') descriptionCache.clear();
    else for (const id of changed) descriptionCache.delete(id);
  };

  /** Rows of these chunk row keys, in that order, from memory when read before. */
  const rowsOf = (pks: readonly number[]): ChunkTerms[] => {
    const missing = pks.filter((pk) => !rowCache.has(pk));
    if (missing.length > 0) {
      for (const row of statements.candidateRows.all(JSON.stringify(missing))) {
        rowCache.set(row.pk, { id: row.id, docId: row.doc_id, page: row.page, terms: row.terms, headingTerms: row.heading_terms });
      }
    }
    const rows = pks.flatMap((pk) => {
      const row = rowCache.get(pk);
      return row ? [row] : [];
    });
    for (const key of rowCache.keys()) {
      if (rowCache.size <= CACHED_ROWS) break;
      rowCache.delete(key);
    }
    return rows;
  };

  /** Descriptions of these documents, in that order, from memory when read before. */
  const descriptionsOf = (ids: readonly string[]): DocumentTerms[] => {
    const missing = ids.filter((id) => !descriptionCache.has(id));
    if (missing.length > 0) for (const doc of statements.documentsByIds.all(JSON.stringify(missing))) descriptionCache.set(doc.id, doc);
    return ids.flatMap((id) => {
      const doc = descriptionCache.get(id);
      return doc ? [doc] : [];
    });
  };

  /**
   * The index of the snapshot beside the store, or undefined: none, another format, another
   * store's (the file was replaced), or older than the pruned log.
   */
  const fromSnapshot = (): { index: StoreKeywordIndex; seq: number } | undefined => {
    if (!options.snapshotPath) return undefined;
    const id = storeId();
    const opened = openKeywordSnapshot(options.snapshotPath, (tag) => tag.storeId === id && tag.seq >= prunedThrough());
    if (!opened) return undefined;
    dropSnapshotFile();
    snapshotFile = opened;
    return { index: new StoreKeywordIndex(opened.parts), seq: opened.seq };
  };

  /** Every document and chunk row, read in one transaction with the sequence they reflect. */
  const readAll = (): { seq: number; documents: Array<{ id: string; terms: string }>; chunks: ChunkRow[] } =>
    db.transaction(() => ({ seq: latestSeq(), documents: statements.allDocuments.all(), chunks: statements.allChunks.all() }))();

  /** Indexes every row at once. */
  const buildNow = (all: ReturnType<typeof readAll>): StoreKeywordIndex => {
    const building = startBuild(all);
    building.add(0, all.chunks.length);
    return building.built;
  };

  /** Indexes every row, giving the event loop a turn between slices (a server keeps answering meanwhile). */
  const buildInSlices = async (all: ReturnType<typeof readAll>): Promise<StoreKeywordIndex> => {
    const building = startBuild(all);
    for (let from = 0; from < all.chunks.length; from += BUILD_SLICE) {
      building.add(from, Math.min(all.chunks.length, from + BUILD_SLICE));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return building.built;
  };

  /** A new index holding every document, to which `add` adds the chunk rows from..to. */
  const startBuild = (all: ReturnType<typeof readAll>): { built: StoreKeywordIndex; add: (from: number, to: number) => void } => {
    fullScans++;
    const built = new StoreKeywordIndex();
    const slots = new Map(all.documents.map((d) => [d.id, built.addDocument(d.id, d.terms)]));
    const add = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        const row = all.chunks[i] as ChunkRow;
        built.addChunk(slots.get(row.doc_id) as number, { pk: row.pk, terms: row.terms, headingTerms: row.heading_terms });
      }
    };
    return { built, add };
  };

  const load = async (): Promise<StoreKeywordIndex> => {
    const snapshot = fromSnapshot();
    if (snapshot) {
      loadedFrom = 'snapshot';
      ({ index, seq } = snapshot);
      return snapshot.index;
    }
    const all = readAll();
    const built = await buildInSlices(all);
    loadedFrom = 'scan';
    index = built;
    seq = all.seq;
    return built;
  };

  /** The index, loaded on first use; every caller meanwhile waits for the one load. */
  const ready = async (): Promise<StoreKeywordIndex> => {
    if (index) return index;
    loading ??= load().finally(() => (loading = undefined));
    return loading;
  };

  /**
   * Applies the documents changed since `seq` (run inside a read transaction, so the rows read
   * next match). When the log no longer reaches back that far, the index is loaded again.
   */
  const catchUp = (current: StoreKeywordIndex): StoreKeywordIndex => {
    const latest = latestSeq();
    if (latest === seq) return current;
    if (seq < prunedThrough()) {
      // Another connection pruned changes this index never saw: start again from its snapshot.
      forget('all', true);
      const snapshot = fromSnapshot();
      if (snapshot) {
        ({ index, seq } = snapshot);
        loadedFrom = 'snapshot';
        return catchUp(snapshot.index);
      }
      const all = readAll();
      const built = buildNow(all);
      dropSnapshotFile();
      index = built;
      seq = all.seq;
      loadedFrom = 'scan';
      return built;
    }
    const changed = [...new Set(statements.changedSince.all(seq).map((c) => c.doc_id))];
    let removed = false;
    for (const id of changed) removed = current.removeDocument(id) || removed;
    forget(changed, removed);
    const ids = JSON.stringify(changed);
    const slots = new Map(statements.documentsByIds.all(ids).map((d) => [d.id, current.addDocument(d.id, d.terms)]));
    for (const row of statements.chunksOfDocuments.all(ids)) current.addChunk(slots.get(row.doc_id) as number, { pk: row.pk, terms: row.terms, headingTerms: row.heading_terms });
    changesApplied += changed.length;
    seq = latest;
    if (current.removedChunks > Math.max(COMPACT_MIN_REMOVED, current.slots * COMPACT_REMOVED_SHARE)) current.compact();
    return current;
  };

  const candidates = (current: StoreKeywordIndex, query: KeywordCandidatesQuery): KeywordCandidates => {
    const terms = [...new Set(query.groups.flat())];
    const df = (term: string): number => current.chunkFrequency(term);
    const idf = (term: string): number => inverseChunkFrequency(current.size, df(term)) * (query.termWeights?.[term] ?? 1);
    const chosen = selectCandidates(current, query.groups, idf, df, { limit: query.limit, rareTermLimit: query.rareTermLimit, bm25: BM25_DEFAULTS });
    const chunks = rowsOf(chosen.map((slot) => current.pkOf(slot)));
    return { stats: current.stats(terms), chunks, documents: descriptionsOf(current.describedDocuments(terms, chosen)) };
  };

  const keywordCandidates = async (query: KeywordCandidatesQuery): Promise<KeywordCandidates> => {
    query.abortSignal?.throwIfAborted();
    const loaded = await ready();
    query.abortSignal?.throwIfAborted();
    // One read transaction: the changes applied and the rows read are of the same moment.
    return db.transaction(() => candidates(catchUp(loaded), query))();
  };

  /** The change sequence of the snapshot beside the store, when it is this store's. */
  const snapshotSeq = (): number | undefined => {
    const tag = options.snapshotPath ? readSnapshotTag(options.snapshotPath) : undefined;
    return tag && tag.storeId === storeId() ? tag.seq : undefined;
  };

  /** Whether enough changed since the last snapshot to write another. */
  const snapshotStale = (): boolean => {
    const latest = latestSeq();
    const documents = index?.documentCount ?? statements.documentCount.get()?.n ?? 0;
    const written = snapshotSeq();
    // A store upgraded from an older schema holds documents its (empty) change log never saw.
    if (written === undefined) return documents > 0 || latest > 0;
    return latest - written >= Math.max(SNAPSHOT_MIN_CHANGES, documents * SNAPSHOT_CHANGE_SHARE);
  };

  /** Writes the index as the snapshot (caught up first); changes older than the previous snapshot are pruned. */
  const writeSnapshot = async (path: string, id: string): Promise<void> => {
    const loaded = await ready();
    const current = db.transaction(() => catchUp(loaded))();
    const previous = snapshotSeq();
    writeKeywordSnapshot(path, current.parts(), { seq, storeId: id });
    // Connections behind the previous snapshot load this one instead of replaying the log.
    if (previous !== undefined && previous > prunedThrough()) {
      db.transaction(() => {
        statements.pruneChanges.run(previous);
        statements.setPrunedThrough.run(String(previous));
      }).immediate();
    }
  };

  return {
    provider: { specificationVersion: 'v1', keywordCandidates },
    status() {
      if (!index) return undefined;
      return { loadedFrom, chunks: index.size, documents: index.documentCount, removedChunks: index.removedChunks, seq, fullScans, changesApplied };
    },
    async close() {
      if (loading) await loading.catch(() => undefined);
      try {
        const id = storeId();
        if (options.writeSnapshots && options.snapshotPath && id && snapshotStale()) await writeSnapshot(options.snapshotPath, id);
      } catch {
        // A snapshot only saves the next process a scan: one that cannot be written (the file
        // locked by a long writer, the disk full) leaves the store as it was.
      } finally {
        index = undefined;
        dropSnapshotFile();
        forget('all', true);
      }
    },
  };
}
