import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { ResolvedConfig } from '@ragbridge/config-profiles';
import type { Chunk } from '@ragbridge/core-interfaces';
import { createRetriever, type Pipeline, type PipelineAnswer } from '@ragbridge/pipeline';
import { retrieverOptionsFromConfig, type ConfiguredRetrieverOptions } from '@ragbridge/runtime';
import { cliStore, openPipeline, resolveCliConfig, storeLabel, UsageError, type CliStore } from './commands.js';
import { cliLogger } from './cli-warnings.js';
import { crossValidate, type CrossValidation } from './eval-cross-validation.js';
import { corpusDocumentKeys, resolveEvidence, type EvidenceResolution } from './eval-evidence.js';
import { formatSummary } from './eval-report.js';
import { citationSupported, firstRelevantRank, summarize, type CitedUnit, type EvalItem, type EvalSummary, type QuestionOutcome, type RetrievedPage } from './metrics.js';
import { createProgressReporter } from './progress.js';

/** Options of {@link evalCommand}. */
export interface EvalCommandOptions {
  corpus: string;
  /** One or more question files (JSON arrays), evaluated together. */
  qa: string | string[];
  out: string;
  store?: string;
  profile?: string;
  /** Also cross-validate: fit signal weights and the refusal policy on K−1 folds, score the held-out fold. */
  folds?: number;
  log?: NodeJS.WritableStream;
}

/** One question's row of the results file. */
export interface EvalResultRow {
  id: string;
  retrieved: RetrievedPage[];
  answer: string;
  citations: Array<{ doc: string; page: number; section?: string }>;
  refused: boolean;
  ms: { retrieve: number; answer: number };
}

/** The section key a unit is matched by: its anchor, else its title. */
const sectionKey = (chunk: Chunk): string | undefined => chunk.section?.anchor ?? chunk.section?.title;

/** Distinct (document, page or section) units of the hits, best first, at most `limit`. */
export function retrievedPages(names: ReadonlyMap<string, string>, result: PipelineAnswer, limit = 10): RetrievedPage[] {
  const pages: RetrievedPage[] = [];
  const seen = new Set<string>();
  for (const hit of result.retrieval.hits) {
    const doc = names.get(hit.chunk.docId) ?? hit.chunk.docId;
    const section = sectionKey(hit.chunk);
    const key = `${doc}#${hit.chunk.page}#${section ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pages.push({ doc, page: hit.chunk.page, ...(section !== undefined && { section }), score: Number(hit.score.toFixed(6)) });
    if (pages.length >= limit) break;
  }
  return pages;
}

/** Reads and checks the question files: ids unique, questions and evidence well formed. */
export async function readQuestions(paths: readonly string[]): Promise<EvalItem[]> {
  const items: EvalItem[] = [];
  const ids = new Set<string>();
  for (const path of paths) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new UsageError(`--qa ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new UsageError(`--qa ${path}: expected a JSON array of {id, question}`);
    parsed.forEach((raw, i) => {
      const o = raw as Record<string, unknown>;
      if (typeof o.id !== 'string' || typeof o.question !== 'string') throw new UsageError(`--qa ${path}: item ${i} needs string "id" and "question"`);
      if (ids.has(o.id)) throw new UsageError(`--qa ${path}: the id "${o.id}" appears twice`);
      ids.add(o.id);
      if (o.evidence !== undefined && !Array.isArray(o.evidence)) throw new UsageError(`--qa ${path}: item "${o.id}": "evidence" must be an array`);
      const evidence = (o.evidence as Array<Record<string, unknown>> | undefined)?.map((e, j) => {
        if (typeof e.doc !== 'string') throw new UsageError(`--qa ${path}: item "${o.id}": evidence ${j} needs a string "doc"`);
        return {
          doc: e.doc,
          ...(Array.isArray(e.pages) && { pages: e.pages.filter((p): p is number => typeof p === 'number') }),
          ...(Array.isArray(e.sections) && { sections: e.sections.filter((s): s is string => typeof s === 'string') }),
          ...(typeof e.quote === 'string' && { quote: e.quote }),
        };
      });
      const mustContain = Array.isArray(o.must_contain) ? o.must_contain.filter((s): s is string => typeof s === 'string') : undefined;
      items.push({
        id: o.id,
        question: o.question,
        ...(typeof o.category === 'string' && { category: o.category }),
        ...(evidence && { evidence }),
        ...(mustContain?.length && { mustContain }),
      });
    });
  }
  return items;
}

/** The text of one cited unit (a page, or a section of a document without pages), read from the store. */
function unitTexts(pipeline: Pipeline): (docId: string, unit: CitedUnit) => Promise<string> {
  const documents = new Map<string, Promise<Chunk[]>>();
  return async (docId, unit) => {
    let chunks = documents.get(docId);
    if (!chunks) {
      chunks = pipeline.store.getDocumentChunks(docId);
      documents.set(docId, chunks);
    }
    return (await chunks)
      .filter((c) => c.page === unit.page && (unit.section === undefined || sectionKey(c) === unit.section))
      .map((c) => c.text)
      .join('\n');
  };
}

/**
 * Asks every question and measures each answer against its labels. `names` says how results name
 * each document, and so what evidence `doc`s must say (default: the document's name; the command
 * passes paths relative to the corpus, see {@link corpusDocumentKeys}).
 */
export async function evaluateQuestions(
  pipeline: Pipeline,
  items: readonly EvalItem[],
  names?: ReadonlyMap<string, string>,
): Promise<{ rows: EvalResultRow[]; outcomes: QuestionOutcome[] }> {
  names ??= new Map((await pipeline.store.listDocuments()).map((d) => [d.id, d.name]));
  const textOf = unitTexts(pipeline);
  const rows: EvalResultRow[] = [];
  const outcomes: QuestionOutcome[] = [];
  for (const item of items) {
    const result = await pipeline.ask(item.question, { k: 30 });
    const retrieved = retrievedPages(names, result);
    const cited = new Map<string, { docId: string; unit: CitedUnit }>();
    for (const c of result.answer.citations) {
      const section = c.section?.anchor ?? c.section?.title;
      const unit = { doc: names.get(c.docId) ?? c.docName, page: c.page, ...(section !== undefined && { section }) };
      cited.set(`${unit.doc}#${unit.page}#${section ?? ''}`, { docId: c.docId, unit });
    }
    rows.push({
      id: item.id,
      retrieved,
      answer: result.answer.text,
      citations: [...cited.values()].map((c) => c.unit),
      refused: result.answer.refused,
      ms: { retrieve: Number(result.ms.retrieve.toFixed(2)), answer: Number(result.ms.answer.toFixed(2)) },
    });
    if (item.evidence === undefined) continue;
    const answerable = item.evidence.length > 0;
    let supported = 0;
    if (answerable && !result.answer.refused) {
      for (const { docId, unit } of cited.values()) if (citationSupported(unit, item.evidence, await textOf(docId, unit))) supported++;
    }
    const answered = answerable && !result.answer.refused;
    const text = result.answer.text.toLowerCase();
    outcomes.push({
      id: item.id,
      category: item.category ?? 'all',
      answerable,
      rank: answerable ? firstRelevantRank(retrieved, item.evidence) : -1,
      refused: result.answer.refused,
      cited: answered ? cited.size : 0,
      supported,
      ...(answered && item.mustContain && { containsExpected: item.mustContain.every((s) => text.includes(s.toLowerCase())) }),
    });
  }
  return { rows, outcomes };
}

/**
 * The store an evaluation ingests its corpus into, apart from the documents commands answer from:
 * `--store FILE`, else `.ragbridge/eval-<corpus>.db`, else (PostgreSQL storage) the schema
 * `eval_<corpus>` of the configured database.
 */
export function evalStore(resolved: ResolvedConfig, explicit: string | undefined, corpusName: string): CliStore {
  const store = cliStore(resolved, explicit, `eval-${corpusName}`);
  if (store.kind === 'sqlite') return store;
  const schema = `eval_${corpusName.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`.slice(0, 63).replace(/_+$/, '');
  return { kind: 'postgres', config: { ...store.config, schema } };
}

/** The keyword retrieval settings of a profile (what calibration ranks with), mapped as the runtime maps them. */
async function keywordOptions(profile: string | undefined): Promise<ConfiguredRetrieverOptions> {
  const { config } = await resolveCliConfig({ profile });
  return retrieverOptionsFromConfig(config.retrieval);
}

/**
 * Says which evidence names are ambiguous (once each, with the documents they count as) and which
 * match no document (those questions cannot score: the command exits 1).
 */
function reportEvidence(evidence: EvidenceResolution, corpus: string, log: NodeJS.WritableStream): void {
  for (const { doc, candidates } of evidence.ambiguous) {
    log.write(
      `Warning: evidence names "${doc}", which ${candidates.length} documents of the corpus share (${candidates.join(', ')}); it counts as matching any of them. ` +
        `Give the path relative to ${corpus} to name one.\n`,
    );
  }
  const { unknown } = evidence;
  if (unknown.length === 0) return;
  log.write(
    `Error: evidence names ${unknown.length} document(s) not in the corpus, so their questions cannot score (the results are written; exit code 1): ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}\n`,
  );
}

/** `ragbridge eval --corpus DIR --qa FILE[,FILE…] --out FILE.json [--folds K]` */
export async function evalCommand(options: EvalCommandOptions): Promise<number> {
  const log = options.log ?? process.stdout;
  const qaPaths = (Array.isArray(options.qa) ? options.qa : options.qa.split(',')).map((p) => p.trim()).filter(Boolean);
  const items = await readQuestions(qaPaths);
  const corpusInfo = await stat(options.corpus).catch(() => undefined);
  if (!corpusInfo) throw new UsageError(`--corpus ${options.corpus}: no such file or folder`);
  if (options.folds !== undefined && (!Number.isInteger(options.folds) || options.folds < 2)) throw new UsageError(`--folds: expected a whole number of at least 2, got ${options.folds}`);
  const store = evalStore(await resolveCliConfig({ profile: options.profile }), options.store, basename(resolve(options.corpus)));
  log.write(`Store: ${storeLabel(store)}\n`);
  // The eval store only caches the corpus, so an old format is rebuilt rather than refused.
  const logger = cliLogger();
  const pipeline = await openPipeline(store, { profile: options.profile, rebuildOnSchemaChange: true, logger });
  let summary: EvalSummary | undefined;
  let crossValidation: CrossValidation | undefined;
  try {
    const report = await pipeline.ingest([options.corpus], { onProgress: createProgressReporter(), prune: true });
    log.write(`Corpus: ${report.added.length + report.updated.length} (re)ingested, ${report.unchanged.length} unchanged, ${report.failed.length} failed.\n`);
    const documents = await pipeline.store.listDocuments();
    if (documents.length === 0) throw new UsageError(`--corpus ${options.corpus}: no supported document (PDF, Markdown, HTML, text) could be ingested`);
    const names = corpusDocumentKeys(documents, options.corpus);
    const evidence = resolveEvidence(items, documents, names);
    reportEvidence(evidence, options.corpus, log);
    const { rows, outcomes } = await evaluateQuestions(pipeline, evidence.items, names);
    await mkdir(dirname(resolve(options.out)), { recursive: true });
    summary = outcomes.length > 0 ? summarize(outcomes) : undefined;
    if (summary) log.write(`\n${formatSummary('All questions', summary)}`);
    if (options.folds !== undefined) {
      const labelled = evidence.items.filter((i) => i.evidence !== undefined);
      const features = createRetriever({ store: pipeline.store, ...(await keywordOptions(options.profile)) });
      crossValidation = await crossValidate({
        items: labelled,
        folds: options.folds,
        features,
        names,
        open: (overrides) => openPipeline(store, { profile: options.profile, overrides, logger }),
        evaluate: (p, questions) => evaluateQuestions(p, questions, names),
        log,
      });
    }
    await writeFile(options.out, `${JSON.stringify({ results: rows, ...(summary && { summary }), ...(crossValidation && { crossValidation }) }, null, 2)}\n`);
    log.write(`Wrote ${rows.length} results to ${options.out}\n`);
    return evidence.unknown.length > 0 ? 1 : 0;
  } finally {
    await pipeline.close();
  }
}
