import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DocumentRecord } from '@ragbridge/core-interfaces';
import { analyze, INGEST_VERSION, ingestPaths, openSqliteStore } from '@ragbridge/pipeline';

/** A Debian documentation package whose HTML manual is part of the corpus. */
export interface Manual {
  /** The Debian package that installs it. */
  debianPackage: string;
  /** Where the package puts the HTML. */
  dir: string;
}

/** The two manuals of the acceptance text (~18.6M characters, ~23k chunks together). */
export const MANUALS: readonly Manual[] = [
  { debianPackage: 'postgresql-doc-15', dir: '/usr/share/doc/postgresql-doc-15/html' },
  // A version-independent symlink to /usr/share/doc/python3.<minor>/html.
  { debianPackage: 'python3-doc', dir: '/usr/share/doc/python3-doc/html' },
];

/** The manuals' documents as the pipeline prepared them (extracted, chunked, analysed), once. */
export interface PreparedCorpus {
  /** What the cache entry is keyed by (the manuals' file list and the pipeline's versions). */
  key: string;
  /** Characters the pipeline extracted. */
  chars: number;
  files: number;
  /** Seconds the ingest into the temporary SQLite store took when the entry was made. */
  ingestSeconds: number;
  records: DocumentRecord[];
}

/** The manuals that are not installed (an empty list when all are). */
export function missingManuals(manuals: readonly Manual[] = MANUALS): Manual[] {
  return manuals.filter((m) => !existsSync(m.dir) || htmlFiles(m.dir).length === 0);
}

/** The HTML pages of a manual, sorted; Sphinx's `_sources`, `_static`, … folders hold no pages. */
export function htmlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('_') && !entry.name.startsWith('.')) walk(path);
      } else if (entry.name.endsWith('.html')) out.push(path);
    }
  };
  walk(realpathSync(dir));
  return out.sort();
}

/**
 * The cache key: every file's path, size and modification time, the ingest version, and what the
 * term analysis makes of a probe sentence (so a change of analysis that forgot to bump
 * `INGEST_VERSION` still makes a new entry).
 */
function corpusKey(files: readonly string[]): string {
  const hash = createHash('sha256').update(INGEST_VERSION).update('\0');
  hash.update(analyze('The shared_buffers setting (integer) of PostgreSQL 15: os.path.join() and funct3, v1.7, 0x7b0.').join(' '));
  for (const file of files) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`\0${file}\t${size}\t${Math.trunc(mtimeMs)}`);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Ingests the manuals with the pipeline's own `ingestPaths` into a temporary SQLite store (no
 * embedder), then exports every document with its chunks and index terms. The result is cached in
 * `cacheDir`: a second run reads it back in a few seconds.
 */
export async function prepareCorpus(cacheDir: string, log: (line: string) => void): Promise<PreparedCorpus> {
  const files = MANUALS.flatMap((m) => htmlFiles(m.dir));
  const key = corpusKey(files);
  const cacheFile = join(cacheDir, `manuals-${key}.json`);
  if (existsSync(cacheFile)) {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as PreparedCorpus;
    log(`corpus: read from the cache ${cacheFile}`);
    return cached;
  }
  mkdirSync(cacheDir, { recursive: true });
  const storePath = join(cacheDir, `ingest-${key}-${process.pid}.db`);
  log(`corpus: ingesting ${files.length} HTML files with the pipeline (ingestPaths, SQLite, no embedder) into ${storePath} …`);
  const store = openSqliteStore({ path: storePath });
  try {
    const report = await ingestPaths(files, { store, workerWritePath: storePath });
    if (report.failed.length > 0) throw new Error(`ingest failed for ${report.failed.length} files, e.g. ${report.failed[0]?.source}: ${report.failed[0]?.message}`);
    const records: DocumentRecord[] = [];
    for (const document of await store.listDocuments()) {
      const exported = await store.exportDocument(document.id);
      if (exported) records.push(exported.record);
    }
    // Sources relative to the manuals' common root would lose which manual a page is from; keep them.
    const corpus: PreparedCorpus = { key, chars: report.chars, files: files.length, ingestSeconds: report.ms / 1000, records };
    writeFileSync(cacheFile, JSON.stringify(corpus));
    log(`corpus: cached in ${cacheFile} (${relative(cacheDir, cacheFile)})`);
    return corpus;
  } finally {
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${storePath}${suffix}`, { force: true });
  }
}

/** Chunks in a list of records. */
export function chunkCount(records: readonly DocumentRecord[]): number {
  return records.reduce((sum, r) => sum + r.chunks.length, 0);
}

/**
 * The manuals repeated under other ids, sources and names until at least `targetChunks` chunks
 * (whole documents; the last copy is partial). Copy 0 is the manuals as ingested; copy n's ids and
 * sources end in `~n`. With a target below the manuals' size, the first documents that reach it.
 */
export function repeatCorpus(base: readonly DocumentRecord[], targetChunks: number): Array<{ record: DocumentRecord; copy: number }> {
  const out: Array<{ record: DocumentRecord; copy: number }> = [];
  let chunks = 0;
  for (let copy = 0; chunks < targetChunks; copy++) {
    for (const record of base) {
      if (chunks >= targetChunks) break;
      out.push({ record: copy === 0 ? record : renameCopy(record, copy), copy });
      chunks += record.chunks.length;
    }
  }
  return out;
}

function renameCopy(record: DocumentRecord, copy: number): DocumentRecord {
  const suffix = `~${copy}`;
  const docId = `${record.document.id}${suffix}`;
  return {
    document: {
      ...record.document,
      id: docId,
      source: `${record.document.source}${suffix}`,
      name: `${record.document.name}${suffix}`,
      contentHash: `${record.document.contentHash}${suffix}`,
    },
    chunks: record.chunks.map((chunk) => ({ ...chunk, id: `${chunk.id}${suffix}`, docId })),
    documentTerms: record.documentTerms,
  };
}
