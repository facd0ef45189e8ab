import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { applyReindex, compareProfiles, reindexPlan, renderCharts, renderMarkdown, type CompareQuestion, type CompareSide, type ReindexPlan } from '@ragbridge/compare';
import { isProfileName, resolveConfig, type ProfileName } from '@ragbridge/config-profiles';
import type { RuntimeLogger } from '@ragbridge/runtime';
import { createWarningTally } from './cli-warnings.js';
import { defaultStorePath, UsageError } from './commands.js';
import { startFakeServices } from './fake-services.js';
import { createPhaseProgress } from './progress.js';

function formatPlan(plan: ReindexPlan): string {
  const lines = [`Re-index plan ${plan.from.name} → ${plan.to.name} (${plan.to.backend ?? 'no embedder'} ${plan.to.modelId ?? ''})`.trimEnd()];
  if (plan.sameIdentity) lines.push('  same embedder identity: the vectors in the store are reused, nothing to embed');
  lines.push(`  chunks in the store: ${plan.chunks}; without a vector for the new embedder: ${plan.chunksWithoutVectors ?? 'n/a'}`);
  lines.push(`  estimated tokens: ${plan.estimatedTokens}; already in the embedding cache: ${plan.embeddingCache.cachedChunks} (${plan.embeddingCache.note})`);
  lines.push(`  estimated cost: ${plan.cost.usd === null ? plan.cost.state : `$${plan.cost.usd.toFixed(6)}`} (${plan.cost.basis})`);
  lines.push(`  estimated time: ${plan.time.ms === null ? 'unknown' : `${(plan.time.ms / 1000).toFixed(1)} s`} (${plan.time.basis})`);
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  lines.push('  run again with --apply to embed them (only chunks without a vector; interrupted runs resume)');
  return `${lines.join('\n')}\n`;
}

/** Options of {@link compareCommand}. */
export interface CompareCommandOptions {
  /** `A,B`: built-in profile names or configuration files (`.yaml`, `.yml`, `.json`). */
  profiles: string;
  qa?: string;
  corpus?: string;
  out?: string;
  store?: string;
  k?: number;
  /** Run every profile against the fake Hugging Face, TEI and Ollama services (CI, no accounts). */
  fakeServices?: boolean;
  reindexPlan?: boolean;
  apply?: boolean;
  /** The plan, the verdicts and where the report is. @default process.stdout */
  log?: NodeJS.WritableStream;
  /** Progress, then the runtimes' warnings and the report's notes, each once. @default process.stderr */
  err?: NodeJS.WritableStream;
}

/** What both sides' runtimes share: environment, `fetch`, data folder, and one log for the command. */
interface SideContext {
  env: Record<string, string | undefined>;
  fetch: typeof fetch | undefined;
  baseDir: string;
  logger: RuntimeLogger;
}

async function side(spec: string, ctx: SideContext): Promise<CompareSide> {
  const isFile = /\.(ya?ml|json)$/i.test(spec);
  if (!isFile && !isProfileName(spec)) throw new UsageError(`--profiles: "${spec}" is neither a built-in profile (offline, local, hf-spaces, hybrid) nor a .yaml/.json configuration file`);
  const { env } = ctx;
  const config = await resolveConfig(isFile ? { env, file: resolve(spec) } : { env, profile: spec as ProfileName });
  return { name: isFile ? basename(spec) : spec, runtime: { config, env, baseDir: ctx.baseDir, logger: ctx.logger, ...(ctx.fetch && { fetch: ctx.fetch }) } };
}

async function readQuestions(file: string): Promise<CompareQuestion[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!Array.isArray(parsed)) throw new Error('expected a JSON array of {id, question}');
    return parsed.map((item, i) => {
      const o = item as Partial<CompareQuestion>;
      if (typeof o.id !== 'string' || typeof o.question !== 'string') throw new Error(`item ${i} needs string "id" and "question"`);
      return { id: o.id, question: o.question, ...(typeof o.category === 'string' && { category: o.category }), ...(Array.isArray(o.evidence) && { evidence: o.evidence }) };
    });
  } catch (error) {
    throw new UsageError(`--qa ${file}: ${(error as Error).message}`);
  }
}

/**
 * `ragbridge compare --profiles A,B --qa FILE [--corpus DIR] [--out DIR] [--fake-services]`: the
 * same questions through both profiles over one shared index; writes report.md, report.json and
 * SVG charts. `--reindex-plan [--apply]`: what switching the embedder costs, and doing it.
 */
export async function compareCommand(options: CompareCommandOptions): Promise<number> {
  const log = options.log ?? process.stdout;
  const err = options.err ?? process.stderr;
  // Every runtime of the command (two to four) logs the same failures: each line once, at the end.
  const warnings = createWarningTally();
  const names = options.profiles.split(',').map((p) => p.trim()).filter(Boolean);
  if (names.length !== 2) throw new UsageError('--profiles: give two profiles, e.g. --profiles local,hf-spaces');
  const storePath = options.store ?? defaultStorePath(`compare-${options.corpus ? basename(resolve(options.corpus)) : 'store'}`);
  const outDir = resolve(options.out ?? 'compare-report');
  const fakes = options.fakeServices ? await startFakeServices() : undefined;
  try {
    const ctx: SideContext = { env: fakes?.env ?? { ...process.env }, fetch: fakes?.fetch, baseDir: resolve('.ragbridge'), logger: warnings.logger };
    const [a, b] = [await side(names[0] as string, ctx), await side(names[1] as string, ctx)];
    log.write(`Comparing ${a.name} → ${b.name}${fakes ? ' (on the fake services)' : ''}; shared store ${storePath}\n`);

    if (options.reindexPlan) {
      const reindex = { from: a, to: b, storePath, ...(options.corpus && { corpus: [options.corpus] }) };
      const plan = await reindexPlan(reindex);
      log.write(formatPlan(plan));
      if (options.apply) {
        const progress = createPhaseProgress(err);
        const done = await applyReindex({ ...reindex, onProgress: (p) => progress('embedding', p.done, p.total) });
        progress.end();
        log.write(
          `Re-indexed for ${b.name}: ${done.embedded} chunks given a vector (${done.cacheHits} from the embedding cache) in ${(done.ms / 1000).toFixed(1)} s, ` +
            `$${done.costUsd.toFixed(6)}${done.unpricedCalls > 0 ? ` (+${done.unpricedCalls} unpriced calls)` : ''}\n`,
        );
      }
      return 0;
    }

    if (!options.qa) throw new UsageError('compare: --qa FILE is required (or use --reindex-plan)');
    const questions = await readQuestions(options.qa);
    const progress = createPhaseProgress(err);
    const report = await compareProfiles({
      a,
      b,
      questions,
      ...(options.corpus && { corpus: [options.corpus] }),
      storePath,
      ...(options.k !== undefined && { k: options.k }),
      onProgress: (p) => progress(p.phase, p.done, p.total),
    });
    progress.end();
    await mkdir(outDir, { recursive: true });
    const charts = renderCharts(report);
    for (const [file, svg] of Object.entries(charts)) await writeFile(join(outDir, file), svg);
    await writeFile(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(outDir, 'report.md'), renderMarkdown(report, charts));
    log.write(`Report: ${join(outDir, 'report.md')} (charts: ${Object.keys(charts).join(', ')}; data: report.json)\n\n`);
    for (const [part, verdict] of Object.entries(report.verdicts)) log.write(`  ${part}: ${verdict.text}\n`);
    for (const note of report.notes) warnings.add('note', note);
    return 0;
  } finally {
    await fakes?.close();
    warnings.flush(err);
  }
}
