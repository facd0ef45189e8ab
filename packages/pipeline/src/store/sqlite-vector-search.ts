import type Database from 'better-sqlite3';
import { embedderIdentityKey, type EmbedderIdentity, type ScoredId, type VectorSearchV1 } from '@ragbridge/core-interfaces';
import { buildAnnIndexInSlices, ExactVectorIndex, type VectorIndex } from './vector-index.js';

/** The vector index of one embedder identity, and what it holds of the stored vectors. */
interface IndexEntry {
  /** Exact until the HNSW graph built in the background replaces it. */
  index: VectorIndex;
  /** Chunk rowid of each index position. */
  rowids: number[];
  /** The store's revision last caught up with. */
  revision: string;
  /** The identity's removal count when loaded: while unchanged, vectors were only added since. */
  generation: number;
  /** Highest `vectors` rowid the index holds: vectors added since have higher ones. */
  lastRowid: number;
  /** Settles when the background HNSW build ends (undefined: none started). */
  building?: Promise<void>;
  /** True while that build runs. */
  graphPending?: boolean;
}

/** Which in-memory vector index serves an identity, and how large it is. */
export interface VectorIndexStatus {
  index: 'exact' | 'hnsw';
  size: number;
  building: boolean;
}

/** The SQLite store's vector search, with what the store adds beyond the contract. */
export interface SqliteVectorSearch {
  readonly provider: VectorSearchV1;
  /** Loads the index of `identity` and waits for its HNSW graph when one is being built. */
  warm(identity: EmbedderIdentity): Promise<'exact' | 'hnsw' | 'none'>;
  /** The loaded index of `identity` as it stands, without loading or catching it up. */
  status(identity: EmbedderIdentity): VectorIndexStatus | undefined;
  /** Drops every index (background builds see their entry gone and stop). */
  close(): void;
}

/**
 * In-memory vector indexes per identity, loaded on the first search of that identity (a keyword
 * question never loads one) and caught up after any write, by this connection or another (another
 * process ingesting, or a second store object on the same file): vectors added since join the
 * index; a vector removed or replaced (the identity's `generation`, counted by triggers) makes it
 * load again. Search is exact at once; past `annThreshold` vectors the HNSW graph is built in the
 * background, in slices (a graph of ten thousand vectors takes over a second to build, which would
 * stop this thread's event loop), and replaces the exact index when done.
 */
export function createSqliteVectorSearch(db: Database.Database, annThreshold: number, revision: () => string): SqliteVectorSearch {
  const statements = {
    space: db.prepare<[string], { dimensions: number; generation: number }>('SELECT dimensions, generation FROM vector_spaces WHERE identity_key = ?'),
    vectorsAfter: db.prepare<[string, number], { rowid: number; chunk_rowid: number; vector: Buffer }>(
      'SELECT rowid, chunk_rowid, vector FROM vectors WHERE identity_key = ? AND rowid > ? ORDER BY rowid',
    ),
    chunkIdByRowid: db.prepare<[number], { id: string }>('SELECT id FROM chunks WHERE pk = ?'),
  };
  const indexes = new Map<string, IndexEntry>();

  /** Starts the background HNSW build of an exact index past the threshold (once). */
  const buildGraph = (key: string, entry: IndexEntry): void => {
    const exact = entry.index;
    if (entry.building || !(exact instanceof ExactVectorIndex) || exact.size < annThreshold) return;
    entry.graphPending = true;
    entry.building = buildAnnIndexInSlices(exact, { dimensions: exact.dimensions }, () => indexes.get(key) === entry)
      .then(
        (ann) => {
          if (!ann || indexes.get(key) !== entry) return;
          // Vectors added after the last slice (in the same turn) join before the swap.
          while (ann.size < exact.size) ann.add(exact.vector(ann.size));
          entry.index = ann;
        },
        // The exact index keeps serving; the next reload (a vector removed or replaced) tries again.
        () => undefined,
      )
      .finally(() => (entry.graphPending = false));
  };

  /** Adds the stored vectors of `key` after `entry.lastRowid` to the entry's index. */
  const addStoredVectors = (key: string, entry: IndexEntry): void => {
    for (const row of statements.vectorsAfter.iterate(key, entry.lastRowid)) {
      entry.rowids.push(row.chunk_rowid);
      entry.lastRowid = row.rowid;
      const v = row.vector;
      // Copied into the index (normalized): a view suffices when aligned.
      entry.index.add(v.byteOffset % 4 === 0 ? new Float32Array(v.buffer, v.byteOffset, v.byteLength / 4) : new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
    }
  };

  /** The vector index of an identity, caught up with the store; undefined when it has no vectors. */
  const loadIndex = (key: string): IndexEntry | undefined => {
    const rev = revision();
    const cached = indexes.get(key);
    if (cached && cached.revision === rev) return cached;
    const space = statements.space.get(key);
    if (!space) {
      indexes.delete(key);
      return undefined;
    }
    if (cached && cached.generation === space.generation) {
      addStoredVectors(key, cached);
      cached.revision = rev;
      buildGraph(key, cached);
      return cached;
    }
    const entry: IndexEntry = { index: new ExactVectorIndex(space.dimensions), rowids: [], revision: rev, generation: space.generation, lastRowid: 0 };
    addStoredVectors(key, entry);
    indexes.set(key, entry);
    buildGraph(key, entry);
    return entry;
  };

  return {
    provider: {
      specificationVersion: 'v1',
      async vectorCandidates(query): Promise<ScoredId[]> {
        query.abortSignal?.throwIfAborted();
        const entry = loadIndex(embedderIdentityKey(query.identity));
        if (!entry) return [];
        const vector = query.vector instanceof Float32Array ? query.vector : Float32Array.from(query.vector);
        return entry.index.search(vector, query.limit).map(({ id, score }) => ({
          id: statements.chunkIdByRowid.get(entry.rowids[id] as number)?.id ?? '',
          score,
        }));
      },
    },
    async warm(identity) {
      const entry = loadIndex(embedderIdentityKey(identity));
      if (!entry) return 'none';
      await entry.building;
      return entry.index instanceof ExactVectorIndex ? 'exact' : 'hnsw';
    },
    status(identity) {
      const entry = indexes.get(embedderIdentityKey(identity));
      if (!entry) return undefined;
      return { index: entry.index instanceof ExactVectorIndex ? 'exact' : 'hnsw', size: entry.index.size, building: entry.graphPending === true };
    },
    close() {
      indexes.clear();
    },
  };
}
