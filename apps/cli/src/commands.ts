import { dirname, resolve } from 'node:path';
import { PROFILE_NAMES, resolveConfig, type PostgresStorageConfig, type ProfileName, type ResolvedConfig } from '@ragbridge/config-profiles';
import { redactUrl, type Citation } from '@ragbridge/core-interfaces';
import { type Pipeline, type PipelineAnswer, type RefusalPolicy, type SignalName } from '@ragbridge/pipeline';
import { createRuntime, TERMINAL_BACKENDS, type RuntimeLogger, type RuntimeOptions } from '@ragbridge/runtime';
import type { PostgresStore } from '@ragbridge/store-postgres';
import { cliLogger } from './cli-warnings.js';
import { displayPath } from './display-path.js';

/** Profiles the CLI can run: the built-in ones (models other than `offline` need their services). */
export const SUPPORTED_PROFILES = PROFILE_NAMES;

/** Where a store lives when `--store` is not given and the configuration's storage is SQLite. */
export function defaultStorePath(name = 'store'): string {
  return resolve('.ragbridge', `${name}.db`);
}

/**
 * Where a command's documents live: a SQLite file (`--store FILE`, or the CLI's own file when the
 * configuration's storage is SQLite) or the configuration's PostgreSQL database (`storage.kind:
 * postgres`, or DATABASE_URL), whose usage ledger and embedding cache then live there too.
 */
export type CliStore = { kind: 'sqlite'; path: string } | { kind: 'postgres'; config: PostgresStorageConfig };

/** The store of a command: `--store` when given, else the configuration's PostgreSQL database, else `defaultStorePath(name)`. */
export function cliStore(resolved: ResolvedConfig, explicit: string | undefined, name = 'store'): CliStore {
  if (explicit !== undefined) return { kind: 'sqlite', path: explicit };
  const { storage } = resolved.config;
  return storage.kind === 'postgres' ? { kind: 'postgres', config: storage } : { kind: 'sqlite', path: defaultStorePath(name) };
}

/** A store as messages name it: the file, or the database without its user and password. */
export function storeLabel(store: CliStore): string {
  if (store.kind === 'sqlite') return store.path;
  const { url, schema } = store.config;
  return `PostgreSQL ${redactUrl(url)}${schema === undefined ? '' : ` (schema ${schema})`}`;
}

function checkProfile(profile: string | undefined): void {
  if (profile === undefined || (SUPPORTED_PROFILES as readonly string[]).includes(profile)) return;
  throw new UsageError(`--profile: expected one of ${SUPPORTED_PROFILES.join(', ')}, got "${profile}"`);
}

/** A mistake in the command line; printed without a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Retrieval settings that replace the profile's (an eval's calibrated signal weights and refusal policy). */
export interface PipelineOverrides {
  signals?: Partial<Record<SignalName, number>>;
  refusal?: Partial<RefusalPolicy>;
}

/**
 * The configuration a command runs, resolved exactly as the demo app resolves it: `--profile`,
 * else `RAGBRIDGE_PROFILE`, else a `ragbridge.yaml` (or `RAGBRIDGE_CONFIG`) in the working folder,
 * else detected from the environment (a Space, HF_TOKEN, a reachable Ollama; otherwise offline).
 */
export async function resolveCliConfig(
  options: { profile?: string | undefined; overrides?: Record<string, unknown>; env?: Readonly<Record<string, string | undefined>>; cwd?: string } = {},
): Promise<ResolvedConfig> {
  checkProfile(options.profile);
  return resolveConfig({
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
    ...(options.profile !== undefined && { profile: options.profile as ProfileName }),
    ...(options.overrides && { overrides: options.overrides }),
  });
}

/** Options of {@link openPipeline}. */
export interface OpenPipelineOptions {
  /** A built-in profile; default: resolved as the demo app does (see {@link resolveCliConfig}). */
  profile?: string | undefined;
  /** The configuration, resolved already (then `profile`, `overrides` and `env` do not change it). */
  config?: ResolvedConfig;
  /** A store file of an older format is emptied and rebuilt (a store that only caches a corpus). @default false */
  rebuildOnSchemaChange?: boolean;
  overrides?: PipelineOverrides;
  /** Where the runtime's warnings go; share one between the pipelines of a command. @default a new {@link cliLogger} */
  logger?: RuntimeLogger;
  /** Environment (secrets, OLLAMA_HOST, profile detection). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** `fetch` for every HTTP adapter (tests point it at the fake services). @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * A bulk load into PostgreSQL: vector spaces created meanwhile get their HNSW index when the
   * command calls {@link buildDeferredIndexes}, not insert by insert. @default false
   */
  bulkLoad?: boolean;
}

/** The configuration overrides of {@link PipelineOverrides}, as `resolveConfig` takes them. */
function configOverrides(overrides: PipelineOverrides = {}): Record<string, unknown> | undefined {
  const retrieval = {
    ...(overrides.signals && { signals: overrides.signals }),
    ...(overrides.refusal && { refusal: overrides.refusal }),
  };
  return Object.keys(retrieval).length > 0 ? { retrieval } : undefined;
}

/**
 * The runtime options of a command's store. A SQLite file gets the usage ledger and the embedding
 * cache next to it (`<store>.usage.db`, `<store>.embeddings.db`, so a re-ingest after an edit embeds
 * only the changed chunks), relative paths from its folder. PostgreSQL storage is the
 * configuration's: the runtime opens it, with the ledger and the embedding cache in the same
 * database unless the configuration names files (relative paths from the working folder).
 */
export function storeRuntimeOptions(store: CliStore, options: OpenPipelineOptions): Omit<RuntimeOptions, 'config'> {
  const common = {
    logger: options.logger ?? cliLogger(),
    ...(options.env && { env: options.env }),
    ...(options.fetch && { fetch: options.fetch }),
  };
  if (store.kind === 'postgres') return { baseDir: process.cwd(), ...common };
  const storePath = store.path;
  const beside = (suffix: string): string => (storePath === ':memory:' ? storePath : `${storePath.replace(/\.db$/, '')}.${suffix}.db`);
  return { storePath, ledgerPath: beside('usage'), embeddingCachePath: beside('embeddings'), baseDir: dirname(storePath), ...common };
}

/**
 * Opens the pipeline of the resolved profile on `store` (see {@link cliStore}), composed by
 * `@ragbridge/runtime` as the demo app's is (its models behind resilience and the cost monitor,
 * the usage ledger next to a SQLite store or in the PostgreSQL database).
 */
export async function openPipeline(store: string | CliStore | undefined, options: OpenPipelineOptions = {}): Promise<Pipeline> {
  const overrides = configOverrides(options.overrides);
  const resolved = options.config ?? (await resolveCliConfig({ profile: options.profile, ...(overrides && { overrides }), ...(options.env && { env: options.env }) }));
  const target = typeof store === 'object' ? store : cliStore(resolved, store);
  const runtime = await createRuntime({
    // A PostgreSQL target may name another schema than the configuration (eval keeps its corpus apart).
    config: target.kind === 'postgres' ? { ...resolved, config: { ...resolved.config, storage: target.config } } : resolved,
    ...storeRuntimeOptions(target, options),
    ...(options.rebuildOnSchemaChange && { rebuildStoreOnSchemaChange: true }),
    ...(options.bulkLoad && target.kind === 'postgres' && { deferVectorIndex: true }),
  });
  // The runtime's pipeline, closed together with the runtime (ledger, caches, model workers).
  return Object.assign(Object.create(runtime.pipeline) as Pipeline, { close: () => runtime.close() });
}

/**
 * Builds the HNSW indexes a bulk load left for later ({@link OpenPipelineOptions.bulkLoad}; also any
 * a load cut short left unbuilt), saying so on `err`. Nothing to do for a SQLite store.
 */
export async function buildDeferredIndexes(target: object, err: NodeJS.WritableStream): Promise<void> {
  const store = target as Partial<Pick<PostgresStore, 'buildVectorIndexes'>>;
  if (typeof store.buildVectorIndexes !== 'function') return;
  const built = await store.buildVectorIndexes({
    onBuild: ({ identityKey, vectors }) => err.write(`Building the HNSW index of ${vectors} vectors (${identityKey})…\n`),
  });
  for (const b of built) err.write(`  built in ${b.seconds.toFixed(1)} s\n`);
}

/**
 * Where a citation points, for people: `guide.pdf, page iv (physical page 6)` for a paged
 * document, `page.html § 20.4.1. Memory (#RUNTIME-CONFIG-RESOURCE-MEMORY)` for a section, and
 * the bare name for a document without pages or sections (give `paged` to tell them apart).
 */
export function formatCitation(c: Citation, paged?: (docId: string) => boolean, labels?: ReadonlyMap<string, string>): string {
  const name = labels?.get(c.docId) ?? c.docName;
  if (c.section) return `${name} § ${c.section.title}${c.section.anchor ? ` (#${c.section.anchor})` : ''}`;
  if (paged && !paged(c.docId)) return name;
  return `${name}, page ${c.pageLabel}${String(c.page) !== c.pageLabel ? ` (physical page ${c.page})` : ''}`;
}

/**
 * How the CLI names stored documents: the path relative to the working folder (for a file under
 * it, else the full path) for each document whose name another stored document shares (many
 * `README.md`), so `[1] README.md … [3] README.md` become telling apart; other names stay as stored.
 */
export function documentLabels(docs: ReadonlyArray<{ id: string; name: string; source: string }>, cwd = process.cwd()): Map<string, string> {
  const count = new Map<string, number>();
  for (const d of docs) count.set(d.name, (count.get(d.name) ?? 0) + 1);
  return new Map(docs.filter((d) => (count.get(d.name) ?? 0) > 1).map((d) => [d.id, displayPath(d.source, cwd)]));
}


/** Prints an answer with its citations and sources; `paged` tells documents with pages from the others. */
export function formatAnswer(result: PipelineAnswer, paged?: (docId: string) => boolean, labels?: ReadonlyMap<string, string>): string {
  const { answer } = result;
  const lines = [answer.text, ''];
  if (!answer.refused && answer.citations.length > 0) {
    lines.push('Citations:');
    for (const c of answer.citations) lines.push(`  [${c.index}] ${formatCitation(c, paged, labels)}`);
  }
  if (answer.refused && answer.refusalReason) lines.push(`(refused: ${answer.refusalReason})`);
  if (answer.invalidCitations.length > 0) lines.push(`(removed citations to missing sources: ${answer.invalidCitations.map((n) => `[${n}]`).join(' ')})`);
  lines.push(`(${answer.mode} answer · retrieval ${result.ms.retrieve.toFixed(1)} ms · answer ${result.ms.answer.toFixed(1)} ms)`);
  return lines.join('\n');
}

/**
 * Why each of the best hits ranks where it does: its place, where it is, its score, and each
 * retrieval signal's contribution (weight × value), largest first.
 */
export function formatExplanation(result: PipelineAnswer, names: ReadonlyMap<string, string>, limit = 5): string {
  const lines = ['Sources, and the signals that put each where it is:'];
  // Rerank scores only when a reranker model scored the hits (not the fused order standing in).
  const reranked = result.answer.usage.some((u) => u.operation === 'rerank' && u.backend !== TERMINAL_BACKENDS.reranker);
  result.retrieval.hits.slice(0, limit).forEach((hit, i) => {
    const e = hit.explanation;
    const where = `${names.get(hit.chunk.docId) ?? hit.chunk.docId}${hit.chunk.section ? ` § ${hit.chunk.section.title}` : `, page ${hit.chunk.pageLabel}`}`;
    const ranks = [e?.keywordRank !== undefined ? `keyword #${e.keywordRank}` : '', e?.denseRank !== undefined ? `dense #${e.denseRank} (${e.denseScore?.toFixed(3)})` : '', reranked && hit.rerankScore !== undefined ? `rerank ${hit.rerankScore.toFixed(3)}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${i + 1}. ${where} — score ${hit.score.toFixed(3)}${ranks ? ` (${ranks})` : ''}`);
    const signals = Object.entries(e?.signals ?? {}).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    if (signals.length > 0) lines.push(`     ${signals.map(([name, value]) => `${name} ${value.toFixed(2)}`).join(' · ')}`);
  });
  const ev = result.retrieval.evidence;
  const names_ = ev.specificTerms.length ? ` · names ${ev.specificTerms.map((t) => (ev.missingSpecificTerms.includes(t) ? `${t} (nowhere)` : ev.weakSpecificTerms.includes(t) ? `${t} (in passing)` : t)).join(', ')}` : '';
  lines.push(`Evidence: coverage ${ev.coverage.toFixed(2)}${names_}`);
  return lines.join('\n');
}

/** `ragbridge ask "<question>"`; `env` and `fetch` as {@link OpenPipelineOptions} (e.g. the fake services). */
export async function askCommand(
  question: string,
  options: { store?: string | undefined; json?: boolean; explain?: boolean; profile?: string; out?: NodeJS.WritableStream } & Pick<OpenPipelineOptions, 'env' | 'fetch'>,
): Promise<number> {
  if (!question.trim()) throw new UsageError('ask: give a question, e.g. ragbridge ask "What does funct3 select?"');
  const out = options.out ?? process.stdout;
  const resolved = await resolveCliConfig({ profile: options.profile, ...(options.env && { env: options.env }) });
  const store = cliStore(resolved, options.store);
  const pipeline = await openPipeline(store, { config: resolved, ...(options.env && { env: options.env }), ...(options.fetch && { fetch: options.fetch }) });
  try {
    const docs = await pipeline.store.listDocuments();
    if (docs.length === 0) throw new UsageError(`the store ${storeLabel(store)} has no documents yet: run \`ragbridge ingest <folder>\` first`);
    const result = await pipeline.ask(question, { k: 10, ...(options.explain && { explain: true }) });
    const pagedDocs = new Set(docs.filter((d) => d.mediaType === 'application/pdf').map((d) => d.id));
    const paged = (id: string): boolean => pagedDocs.has(id);
    const labels = documentLabels(docs);
    const sources = new Map(docs.map((d) => [d.id, d.source]));
    if (options.json) {
      // Citations keep their fields (`section` for HTML and Markdown) and add `where`, the line the
      // text output prints, and `path`, the cited file (relative to the working folder when under it).
      const citations = result.answer.citations.map((c) => ({
        ...c,
        where: formatCitation(c, paged, labels),
        ...(sources.has(c.docId) && { path: displayPath(sources.get(c.docId) as string) }),
      }));
      const explained = options.explain && {
        sources: result.retrieval.hits.map((h) => ({ docName: docs.find((d) => d.id === h.chunk.docId)?.name ?? h.chunk.docId, page: h.chunk.page, ...(h.chunk.section && { section: h.chunk.section }), score: h.score, explanation: h.explanation })),
        evidence: result.retrieval.evidence,
      };
      out.write(
        `${JSON.stringify({ answer: result.answer.text, refused: result.answer.refused, ...(result.answer.refusalReason && { refusalReason: result.answer.refusalReason }), mode: result.answer.mode, citations, ms: result.ms, ...explained }, null, 2)}\n`,
      );
    } else {
      out.write(`${formatAnswer(result, paged, labels)}\n`);
      if (options.explain) out.write(`\n${formatExplanation(result, new Map(docs.map((d) => [d.id, d.name])))}\n`);
    }
    return 0;
  } finally {
    await pipeline.close();
  }
}

