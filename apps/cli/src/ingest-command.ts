import { createInterface } from 'node:readline/promises';
import { reindexPlan, type CompareSide, type ReindexPlan } from '@ragbridge/compare';
import { ADAPTER_BACKENDS, type ResolvedConfig } from '@ragbridge/config-profiles';
import type { IngestReport, Pipeline, PipelineIngestReport } from '@ragbridge/pipeline';
import { cliLogger } from './cli-warnings.js';
import {
  buildDeferredIndexes,
  cliStore,
  openPipeline,
  resolveCliConfig,
  storeLabel,
  storeRuntimeOptions,
  UsageError,
  type CliStore,
  type OpenPipelineOptions,
} from './commands.js';
import { createPhaseProgress, createProgressReporter } from './progress.js';

/** Options of {@link ingestCommand}. */
export interface IngestCommandOptions {
  /** A SQLite store file. @default the configuration's PostgreSQL storage, else `.ragbridge/store.db` */
  store?: string | undefined;
  /** Also remove stored documents whose files are gone from the given folders. */
  prune?: boolean;
  /** With `prune`: also when no file is left at all. Before a paid embedding: embed without asking. */
  yes?: boolean;
  workers?: number;
  /** Embed the new chunks with this profile's embedder (see {@link resolveCliConfig}). */
  profile?: string;
  /** The report. @default process.stdout */
  out?: NodeJS.WritableStream;
  /** Progress, warnings and the cost estimate of a paid embedding. @default process.stderr */
  err?: NodeJS.WritableStream;
  /** Environment (secrets, OLLAMA_HOST). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** `fetch` for the HTTP adapters (tests point it at the fake services). */
  fetch?: typeof fetch;
  /**
   * Asks whether to go ahead with a paid embedding. @default a question on the terminal when stdin
   * and stderr are one; otherwise none, so the command stops unless `yes` is set
   */
  confirm?: (question: string) => Promise<boolean>;
}

/** Exit code when a paid embedding needs `--yes` and there is no terminal to ask on (wrong usage). */
const NEEDS_YES = 2;

/**
 * `ragbridge ingest <paths…> [--profile NAME] [--yes]`: adds the files to the store, then embeds
 * the chunks that have no vector with the profile's embedder. A hosted embedder that costs money
 * (see {@link paidEmbedding}) is not called before the estimated cost is shown and confirmed.
 */
export async function ingestCommand(paths: string[], options: IngestCommandOptions): Promise<number> {
  if (paths.length === 0) throw new UsageError('ingest: give at least one file or folder');
  const logger = cliLogger(options.err);
  const resolved = await resolveCliConfig({ profile: options.profile, ...(options.env && { env: options.env }) });
  const store = cliStore(resolved, options.store);
  const opening: OpenPipelineOptions = {
    logger,
    ...(options.env && { env: options.env }),
    ...(options.fetch && { fetch: options.fetch }),
    // PostgreSQL: a new vector space's HNSW index is built once the vectors are in (see afterLoad).
    bulkLoad: true,
  };
  if (!hostedEmbedder(resolved)) {
    // A local embedder (or none) costs nothing: the pipeline embeds the new chunks as it ingests.
    const pipeline = await openPipeline(store, { ...opening, config: resolved });
    try {
      const report = await afterLoad(pipeline, options, () => ingestFiles(pipeline, paths, options));
      const code = writeIngestReport(report, paths, store, options);
      if (options.profile !== undefined && options.profile !== 'offline')
        out(options).write(`Embedded ${report.embedded} chunk(s) with the ${options.profile} profile's embedder.\n`);
      return code;
    } finally {
      await pipeline.close();
    }
  }
  // A hosted embedder: ingest with keyword retrieval only (no model call), then price the vectors.
  const keywordOnly = await openPipeline(store, { ...opening, config: withKeywordRetrieval(resolved) });
  let code: number;
  try {
    code = writeIngestReport(await ingestFiles(keywordOnly, paths, options), paths, store, options);
  } finally {
    await keywordOnly.close();
  }
  return Math.max(code, await embedHosted(resolved, store, opening, options));
}

/** Whether the first step of the embedder chain runs elsewhere (hf-inference, hf-tei), and retrieval uses it. */
function hostedEmbedder(resolved: ResolvedConfig): boolean {
  const { config } = resolved;
  const first = config.models.embedder.chain[0];
  return config.retrieval.mode !== 'keyword' && first !== undefined && !first.local;
}

/** The same configuration with keyword retrieval only: its pipeline ingests without embedding. */
function withKeywordRetrieval(resolved: ResolvedConfig): ResolvedConfig {
  return { ...resolved, config: { ...resolved.config, retrieval: { ...resolved.config.retrieval, mode: 'keyword' } } };
}

/**
 * Runs a load, then builds the vector indexes it left for later (PostgreSQL), also when the load
 * failed part way: the vectors stored by then are searched through the index like any others.
 */
async function afterLoad<T>(pipeline: Pipeline, options: IngestCommandOptions, load: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await load();
  } catch (error) {
    await buildDeferredIndexes(pipeline.store, err(options)).catch((buildError: unknown) =>
      err(options).write(`The vector index was not built (${(buildError as Error).message}): run ragbridge ingest again to build it.\n`),
    );
    throw error;
  }
  await buildDeferredIndexes(pipeline.store, err(options));
  return result;
}

const out = (options: IngestCommandOptions): NodeJS.WritableStream => options.out ?? process.stdout;
const err = (options: IngestCommandOptions): NodeJS.WritableStream => options.err ?? process.stderr;

function ingestFiles(
  pipeline: Pipeline,
  paths: string[],
  options: IngestCommandOptions,
): Promise<PipelineIngestReport> {
  return pipeline.ingest(paths, {
    onProgress: createProgressReporter(err(options) as NodeJS.WriteStream),
    ...(options.prune !== undefined && { prune: options.prune }),
    ...(options.yes && { pruneAll: true }),
    ...(options.workers !== undefined && { workers: options.workers }),
  });
}

/**
 * Embeds the chunks without a vector through the hosted embedder, after showing what it costs
 * when that is money (`--yes`, or a yes on the terminal). Returns the exit code of this part.
 */
async function embedHosted(
  resolved: ResolvedConfig,
  store: CliStore,
  opening: OpenPipelineOptions,
  options: IngestCommandOptions,
): Promise<number> {
  const plan = await planEmbedding(resolved, store, opening, options);
  const toEmbed = plan.chunksWithoutVectors ?? 0;
  if (toEmbed === 0) return 0;
  if (paidEmbedding(plan)) {
    err(options).write(formatEmbeddingEstimate(plan, options.profile ?? resolved.profile));
    const go = options.yes || (await askToEmbed(options));
    if (go === undefined || !go) {
      err(options).write(
        `Not embedded: the ${toEmbed} chunk(s) are stored and found by keywords until they are embedded. ` +
          `${
            go === undefined
              ? 'Run again with --yes to embed them'
              : 'Run again and answer y (or pass --yes) to embed them'
          }.\n`,
      );
      return go === undefined ? NEEDS_YES : 1;
    }
  }
  const pipeline = await openPipeline(store, { ...opening, config: resolved });
  const progress = createPhaseProgress(err(options));
  try {
    const embedded = await afterLoad(pipeline, options, async () => {
      const done = await pipeline.indexVectors({ onProgress: (p) => progress('embedding', p.done, p.total) });
      progress.end();
      return done;
    });
    out(options).write(
      `Embedded ${embedded} chunk(s) with the ${options.profile ?? resolved.profile} profile's embedder.\n`,
    );
    return 0;
  } catch (error) {
    progress.end();
    const name = options.profile ?? resolved.profile;
    throw new Error(
      `embedding the chunks with the ${name} profile's embedder failed: ${
        (error as Error).message
      } (the documents are stored and found by keywords until \`ragbridge ingest --profile ${name}\` embeds them)`,
      { cause: error },
    );
  } finally {
    await pipeline.close();
  }
}

/** How many chunks lack a vector for the embedder, their tokens and price, as `compare --reindex-plan` estimates them (nothing is embedded). */
function planEmbedding(
  resolved: ResolvedConfig,
  store: CliStore,
  opening: OpenPipelineOptions,
  options: IngestCommandOptions,
): Promise<ReindexPlan> {
  const side = (name: string, config: ResolvedConfig): CompareSide => ({
    name,
    runtime: { config, ...storeRuntimeOptions(store, opening) },
  });
  const name = options.profile ?? resolved.profile;
  return reindexPlan({
    from: side('keyword', withKeywordRetrieval(resolved)),
    to: side(name, resolved),
    ...(store.kind === 'sqlite' && { storePath: store.path }),
    sampleChunks: 0,
  });
}

/**
 * Whether embedding what the plan counts costs money: a model with a price, or the Inference
 * Providers' hf-inference (billed by compute time, so there is no per-token price to quote). A TEI
 * server without a price is taken to be your own.
 */
export function paidEmbedding(plan: ReindexPlan): boolean {
  const uncached = (plan.chunksWithoutVectors ?? 0) - plan.embeddingCache.cachedChunks;
  if (uncached <= 0) return false;
  if (plan.cost.state === 'priced') return (plan.cost.usd ?? 0) > 0;
  return plan.cost.state === 'unknown' && plan.to.backend === ADAPTER_BACKENDS['hf-inference'];
}

/** The estimate shown before a paid embedding. */
export function formatEmbeddingEstimate(plan: ReindexPlan, profile: string): string {
  const cost = plan.cost.usd === null ? 'unknown' : `$${plan.cost.usd.toFixed(6)}`;
  const billing =
    plan.to.backend === ADAPTER_BACKENDS['hf-inference'] && plan.cost.usd === null
      ? '; hf-inference bills by compute time'
      : '';
  return [
    `Embedding with the ${profile} profile's embedder (${plan.to.backend} ${plan.to.modelId}) is a paid call:`,
    `  chunks without a vector for it: ${plan.chunksWithoutVectors}; in the embedding cache already: ${plan.embeddingCache.cachedChunks}`,
    `  estimated tokens: ${plan.estimatedTokens}`,
    `  estimated cost: ${cost} (${plan.cost.basis}${billing})`,
    '',
  ].join('\n');
}

/** The terminal's answer, or undefined when there is no terminal to ask on (and no `confirm`). */
async function askToEmbed(options: IngestCommandOptions): Promise<boolean | undefined> {
  const question = 'Embed them now? [y/N] ';
  if (options.confirm) return options.confirm(question);
  if (!process.stdin.isTTY || !(err(options) as NodeJS.WriteStream).isTTY) return undefined;
  const terminal = createInterface({ input: process.stdin, output: err(options) });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

/** Prints the ingest report; returns 1 when a file failed, nothing was ingested, or --prune refused. */
function writeIngestReport(report: IngestReport, paths: string[], store: CliStore, options: IngestCommandOptions): number {
  const stream = out(options);
  const seconds = report.ms / 1000;
  stream.write(
    `Ingested into ${storeLabel(store)}: ${report.added.length} added, ${report.updated.length} updated, ${report.unchanged.length} unchanged, ${report.removed.length} removed, ${report.failed.length} failed.\n` +
      `${report.pages} pages, ${report.chars} characters, ${report.chunks} chunks in ${seconds.toFixed(1)} s` +
      (report.chars > 0 ? ` (${Math.round(report.chars / seconds / 1000)}K chars/s).\n` : '.\n'),
  );
  for (const failure of report.failed) stream.write(`  ✗ ${failure.source}: ${failure.code}: ${failure.message}\n`);
  for (const error of report.pageErrors) stream.write(`  ! ${error.source} page ${error.page}: ${error.message}\n`);
  let code = report.failed.length > 0 ? 1 : 0;
  if (report.pruneRefused !== undefined) {
    stream.write(
      `--prune would remove all ${report.pruneRefused} stored document(s) under ${paths.join(
        ', ',
      )}, where no file is found now; nothing was removed. Run again with --yes to remove them.\n`,
    );
    code = 1;
  }
  const indexed = report.added.length + report.updated.length + report.unchanged.length;
  if (indexed === 0 && report.removed.length === 0 && report.pruneRefused === undefined) {
    writeNothingIngested(report, paths, stream);
    code = 1;
  }
  return code;
}

function writeNothingIngested(report: IngestReport, paths: string[], stream: NodeJS.WritableStream): void {
  for (const skip of report.skipped.slice(0, 20)) stream.write(`  - ${skip.source}: skipped, ${skip.reason}\n`);
  if (report.skipped.length > 20) stream.write(`  … and ${report.skipped.length - 20} more skipped\n`);
  const passed = report.failed.length + report.skipped.length;
  const skipped = passed > 0 ? ` (${passed} skipped or failed, listed above)` : ' (the folders are empty)';
  stream.write(
    `Nothing was ingested from ${paths.join(', ')}: no readable PDF, Markdown, HTML or text file${skipped}.\n`,
  );
}
