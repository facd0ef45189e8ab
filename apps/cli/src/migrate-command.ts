import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline/promises';
import { getBuiltInProfile, isPostgresUrl, type ResolvedConfig } from '@ragbridge/config-profiles';
import { embedderIdentityKey, redactSecrets, redactUrl, registerSecret, type DocumentStoreV2, type SourceDocument, type VectorBatch } from '@ragbridge/core-interfaces';
import { openSqliteStore, type SqliteStore } from '@ragbridge/pipeline';
import { openPostgresStore, type PostgresStore } from '@ragbridge/store-postgres';
import { buildDeferredIndexes, defaultStorePath, resolveCliConfig, UsageError } from './commands.js';
import { displayPath } from './display-path.js';

/** Options of {@link migrateCommand}. */
export interface MigrateCommandOptions {
  /** The SQLite store to copy. @default the configuration's (or its profile's) SQLite file, else `.ragbridge/store.db` */
  from?: string;
  /** The PostgreSQL URL to copy into. @default the configuration's PostgreSQL storage, else DATABASE_URL */
  to?: string;
  /** The PostgreSQL schema. @default the configuration's `storage.schema`, else the store's default */
  schema?: string;
  /** Copy without asking. Without it the copy is confirmed on a terminal, and refused elsewhere (exit 2). */
  yes?: boolean;
  /** Asks whether to go ahead. @default a question on the terminal when stdin and stderr are one */
  confirm?: (question: string) => Promise<boolean>;
  profile?: string;
  /** Environment (DATABASE_URL, profile detection). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** The summary. @default process.stdout */
  out?: NodeJS.WritableStream;
  /** Progress, one line per document. @default process.stderr */
  err?: NodeJS.WritableStream;
}

/** What a migration did. */
export interface MigrationSummary {
  documents: { copied: number; skipped: number };
  chunks: number;
  /** Vectors written per embedder identity key. */
  vectors: Record<string, number>;
  seconds: number;
}

/** The SQLite files `--from` defaults to, in the order tried: the configuration's (or its profile's) storage, then the CLI's own store. */
function sourceCandidates(resolved: ResolvedConfig, cwd: string): string[] {
  const { storage } = resolved.config;
  // With PostgreSQL storage the configuration names no file: the profile's own SQLite file is the one to move.
  const configured = storage.kind === 'sqlite' ? storage : getBuiltInProfile(resolved.profile).storage;
  const paths = [...(configured.kind === 'sqlite' ? [configured.path] : []), defaultStorePath()];
  return [...new Set(paths.map((p) => resolve(cwd, p)))];
}

function sourcePath(options: MigrateCommandOptions, resolved: ResolvedConfig, cwd: string): string {
  if (options.from !== undefined) {
    const path = resolve(cwd, options.from);
    if (!existsSync(path)) throw new UsageError(`migrate --from ${options.from}: no such file`);
    if (!statSync(path).isFile()) throw new UsageError(`migrate --from ${options.from}: not a file (give the SQLite store file, e.g. .ragbridge/store.db)`);
    return path;
  }
  const candidates = sourceCandidates(resolved, cwd);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new UsageError(`migrate: no SQLite store at ${candidates.map((p) => displayPath(p, cwd)).join(' or ')}; give the file with --from FILE`);
  return found;
}

function target(options: MigrateCommandOptions, resolved: ResolvedConfig, env: Readonly<Record<string, string | undefined>>): { url: string; schema?: string; hnsw?: { m?: number; efConstruction?: number } } {
  const { storage } = resolved.config;
  const configured = storage.kind === 'postgres' ? storage : undefined;
  const url = options.to ?? configured?.url ?? env.DATABASE_URL?.trim();
  if (!url) throw new UsageError('migrate: give the PostgreSQL database with --to postgres://… or set DATABASE_URL');
  if (!isPostgresUrl(url)) throw new UsageError(`migrate --to: expected a postgres:// or postgresql:// URL, got ${redactUrl(url)}`);
  try {
    const { password } = new URL(url);
    registerSecret(password);
    registerSecret(decodeURIComponent(password));
  } catch {
    // Not a URL `new URL` reads: pg reports it when connecting.
  }
  const schema = options.schema ?? configured?.schema;
  // The index of a space this copy creates is built as the configuration says (storage.hnsw).
  return { url, ...(schema !== undefined && { schema }), ...(configured?.hnsw !== undefined && { hnsw: configured.hnsw }) };
}

/** Opens the SQLite store read-only (the source is never written), saying plainly when the file is not a ragbridge store. */
function openSource(path: string): SqliteStore {
  try {
    return openSqliteStore({ path, readonly: true });
  } catch (error) {
    throw new Error(`migrate --from ${path}: cannot be read as a ragbridge store (${(error as Error).message.split('\n')[0]}); it was left unchanged`, { cause: error });
  }
}

/**
 * The PostgreSQL store, with the HNSW index of each vector space this copy creates left until every
 * vector is in (one build instead of maintaining the graph on every insert: docs/postgres.md).
 */
async function openTarget(to: ReturnType<typeof target>): Promise<PostgresStore> {
  const { url, schema, hnsw } = to;
  try {
    return await openPostgresStore({ url, ...(schema !== undefined && { schema }), ...(hnsw !== undefined && { hnsw }), deferVectorIndex: true });
  } catch (error) {
    throw new Error(`migrate --to ${redactUrl(url)}: ${redactSecrets((error as Error).message.split('\n')[0] ?? '')}`, { cause: error });
  }
}

/** Exit code when the copy needs `--yes` and there is no terminal to ask on (wrong usage). */
const NEEDS_YES = 2;

/** The terminal's answer, or undefined when there is no terminal to ask on (and no `confirm`). */
async function askToCopy(question: string, options: MigrateCommandOptions, err: NodeJS.WritableStream): Promise<boolean | undefined> {
  if (options.confirm) return options.confirm(question);
  if (!process.stdin.isTTY || !(err as NodeJS.WriteStream).isTTY) return undefined;
  const terminal = createInterface({ input: process.stdin, output: err });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

/** Chunk ids of the target that lack a vector of an identity, per identity key (asked once per identity). */
class MissingVectors {
  readonly #target: DocumentStoreV2;
  readonly #byKey = new Map<string, Promise<Set<string>>>();
  constructor(target: DocumentStoreV2) {
    this.#target = target;
  }
  of(batch: VectorBatch): Promise<Set<string>> {
    const key = embedderIdentityKey(batch.identity);
    let missing = this.#byKey.get(key);
    if (!missing) {
      missing = this.#target.chunksWithoutVectors(batch.identity).then((ids) => new Set(ids));
      this.#byKey.set(key, missing);
    }
    return missing;
  }
}

/** Copies one document: its record when the target lacks it (or holds other content), then the vectors the target lacks. */
async function copyDocument(
  source: SqliteStore,
  destination: DocumentStoreV2,
  doc: SourceDocument,
  missing: MissingVectors,
): Promise<{ copied: boolean; chunks: number; vectors: Record<string, number> } | undefined> {
  const exported = await source.exportDocument(doc.id);
  if (!exported) return undefined; // removed from the source while migrating
  const existing = (await destination.getDocument(doc.id)) ?? (await destination.getDocumentBySource(doc.source));
  const copied = existing?.contentHash !== doc.contentHash;
  if (copied) await destination.putDocument(exported.record);
  const vectors: Record<string, number> = {};
  for (const batch of exported.vectors) {
    // A document just written has no vectors yet; one already there keeps the ones it has.
    const lacking = copied ? undefined : await missing.of(batch);
    const entries = lacking ? batch.entries.filter((e) => lacking.has(e.chunkId)) : batch.entries;
    if (entries.length === 0) continue;
    await destination.putVectors({ identity: batch.identity, entries });
    vectors[embedderIdentityKey(batch.identity)] = entries.length;
  }
  return { copied, chunks: copied ? exported.record.chunks.length : 0, vectors };
}

/**
 * `ragbridge migrate [--from FILE] [--to URL] [--schema NAME] [--yes]`: copies every document of a
 * SQLite store, with its chunks, their index terms and the stored vectors of every embedder identity,
 * into PostgreSQL (nothing is embedded again). Documents already there with the same content hash are
 * skipped, and only the vectors the target lacks are written, so a second run changes nothing. The
 * source is opened read-only. Progress per document on stderr; the summary on stdout.
 */
export async function migrateCommand(options: MigrateCommandOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const resolved = await resolveCliConfig({ profile: options.profile, env, cwd });
  const from = sourcePath(options, resolved, cwd);
  const to = target(options, resolved, env);
  const began = performance.now();
  const source = openSource(from);
  try {
    const destination = await openTarget(to);
    try {
      const where = `${redactUrl(to.url)}${to.schema === undefined ? '' : ` (schema ${to.schema})`}`;
      const { documents } = await source.stats();
      const question = `Copy the ${documents} document(s) of ${displayPath(from, cwd)} into PostgreSQL ${where}? (documents already there are skipped) [y/N] `;
      const go = options.yes || (await askToCopy(question, options, err));
      if (!go) {
        err.write(go === undefined ? 'Nothing copied: run again with --yes to copy without a terminal to confirm on.\n' : 'Nothing copied.\n');
        return go === undefined ? NEEDS_YES : 1;
      }
      err.write(`Copying ${displayPath(from, cwd)} into PostgreSQL ${where}\n`);
      const summary = await copyAll(source, destination, err);
      // Also mends the indexes a copy cut short left unbuilt.
      await buildDeferredIndexes(destination, err);
      summary.seconds = (performance.now() - began) / 1000;
      out.write(formatSummary(summary));
      return 0;
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}

async function copyAll(source: SqliteStore, destination: DocumentStoreV2, err: NodeJS.WritableStream): Promise<MigrationSummary> {
  const summary: MigrationSummary = { documents: { copied: 0, skipped: 0 }, chunks: 0, vectors: {}, seconds: 0 };
  const documents = (await source.listDocuments()).sort((a, b) => a.source.localeCompare(b.source));
  const missing = new MissingVectors(destination);
  for (const [index, doc] of documents.entries()) {
    const done = await copyDocument(source, destination, doc, missing);
    const counter = `[${index + 1}/${documents.length}]`;
    if (!done) {
      err.write(`${counter} ${doc.name}: gone from the source, not copied\n`);
      continue;
    }
    const vectorCount = Object.values(done.vectors).reduce((a, b) => a + b, 0);
    if (done.copied) summary.documents.copied++;
    else summary.documents.skipped++;
    summary.chunks += done.chunks;
    for (const [key, n] of Object.entries(done.vectors)) summary.vectors[key] = (summary.vectors[key] ?? 0) + n;
    const what = done.copied ? `copied (${done.chunks} chunks, ${vectorCount} vectors)` : vectorCount > 0 ? `unchanged; ${vectorCount} missing vectors copied` : 'unchanged, skipped';
    err.write(`${counter} ${doc.name}: ${what}\n`);
  }
  return summary;
}

/** The summary printed at the end. */
export function formatSummary(summary: MigrationSummary): string {
  const vectors = Object.entries(summary.vectors);
  return [
    `Migrated in ${summary.seconds.toFixed(1)} s: ${summary.documents.copied} document(s) copied, ${summary.documents.skipped} already there (same content).`,
    `Chunks copied: ${summary.chunks}.`,
    vectors.length === 0 ? 'Vectors copied: none.' : 'Vectors copied, per embedder identity:',
    ...vectors.map(([key, n]) => `  ${n}  ${key}`),
    '',
  ].join('\n');
}
