// Re-ingesting after a restart with one edited document, in a built-in profile as shipped (its
// store, ledger and embedding cache in a data folder): for the test and the benchmark.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type ProfileName } from '@ragbridge/config-profiles';
import { fetchToFake, startFakeHf } from '@ragbridge/testkit';
import { createRuntime } from '../create-runtime.js';
import type { RuntimeOptions } from '../runtime-types.js';
import { TEST_MODELS_DIR } from './runtime-fixtures.js';

const FAKE_TOKEN = 'hf_ReingestCacheToken0123456789';

/** Embedding-cache counts of one run: texts served from the cache and texts sent to the embedder. */
export interface CacheCounts {
  hits: number;
  misses: number;
  hitRate: number | null;
}

/** What re-ingesting after a restart with one edited document did. */
export interface ReingestOutcome {
  profile: ProfileName;
  embedder: string;
  /** The first ingest: chunks embedded. */
  firstChunks: number;
  /** The re-ingest after the restart: documents re-read, and the embedding cache's counts. */
  updatedDocuments: number;
  reingest: CacheCounts;
}

/** Options of {@link reingestAfterEdit}. */
export interface ReingestOptions {
  /** The documents (copied into a fresh folder). */
  files: readonly string[];
  /** The file (its base name) to edit, and how. */
  edit: { file: string; change: (text: string) => string };
  /**
   * Keep the embedding cache in memory instead of the profile's file (what a profile without a
   * persistent cache does). @default false
   */
  memoryCache?: boolean;
}

/**
 * Runs a built-in profile as shipped in a fresh data folder: ingests the documents (process 1),
 * closes, edits one document, opens a new runtime (a restart: process 2) and ingests again. Local
 * profiles embed with the tiny Transformers.js test model (their own model is not on this machine),
 * keeping the profile's cache settings; hf-spaces embeds through the fake Hugging Face service.
 */
export async function reingestAfterEdit(profile: ProfileName, options: ReingestOptions): Promise<ReingestOutcome> {
  const dataDir = await mkdtemp(join(tmpdir(), `rb-reingest-${profile}-`));
  const docs = join(dataDir, 'docs');
  const hf = profile === 'hf-spaces' ? await startFakeHf({ token: FAKE_TOKEN }) : undefined;
  try {
    for (const file of options.files) await cp(file, join(docs, file.split(/[\\/]/).pop() as string));
    const env = { HF_TOKEN: FAKE_TOKEN, HF_HUB_OFFLINE: '1' };
    // The profile's embedder, unless its model cannot load here; caches, store and ledger stay the profile's.
    const tiny = { backend: 'transformersjs', model: 'ragbridge-test/tiny-bert-embedder', options: { localModelPath: TEST_MODELS_DIR, allowRemoteModels: false } };
    const overrides = profile === 'hf-spaces' ? undefined : { models: { embedder: { chain: [tiny] } } };
    const config = await resolveConfig({ profile, cwd: dataDir, env, ...(overrides && { overrides }) });
    const runtimeOptions: RuntimeOptions = {
      config,
      env,
      baseDir: dataDir,
      ...(hf && { fetch: fetchToFake(hf.url) }),
      ...(options.memoryCache && { embeddingCachePath: ':memory:' }),
      logger: { warn: () => undefined, info: () => undefined },
    };
    const run = async (): Promise<{ chunks: number; updated: number; counts: CacheCounts; embedder: string }> => {
      const runtime = await createRuntime(runtimeOptions);
      try {
        const since = Date.now();
        const report = await runtime.pipeline.ingest([docs], { workers: 0 });
        if (report.embedError !== undefined) throw report.embedError;
        const { hits, misses, hitRate } = (await runtime.monitor.summary({ from: since })).cache.embeddings;
        return { chunks: report.chunks, updated: report.updated.length, counts: { hits, misses, hitRate }, embedder: runtime.models.embedder?.modelId ?? '(none)' };
      } finally {
        await runtime.close();
      }
    };
    const first = await run();
    const edited = join(docs, options.edit.file);
    await writeFile(edited, options.edit.change(await readFile(edited, 'utf8')));
    const second = await run();
    return { profile, embedder: first.embedder, firstChunks: first.chunks, updatedDocuments: second.updated, reingest: second.counts };
  } finally {
    await hf?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
