import { sameEmbedderIdentity, type Chunk, type EmbedderIdentity, type EmbedderV1 } from '@ragbridge/core-interfaces';
import { embeddingCacheKey, openSqliteEmbeddingStore } from '@ragbridge/caches';
import { createRuntime, TERMINAL_BACKENDS, type Runtime } from '@ragbridge/runtime';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CompareSide, ReindexOptions, ReindexPlan, ReindexResult } from './compare-types.js';
import { chunkModelText } from './internal/model-probes.js';
import { describeError } from './internal/side-observers.js';

/** Chunks read from the store at a time while planning. */
const READ_BATCH = 500;

/** The shared store file, or undefined when the sides use their configured storage. */
function checkReindexOptions(options: ReindexOptions, fn: string): string | undefined {
  for (const key of ['from', 'to'] as const) {
    const side = options[key] as CompareSide | undefined;
    if (!side || typeof side.name !== 'string' || side.name.trim() === '' || !side.runtime) {
      throw new TypeError(`${fn}: options.${key} must be { name, runtime }`);
    }
  }
  if (options.storePath === undefined) return undefined;
  if (typeof options.storePath !== 'string' || options.storePath === '' || options.storePath === ':memory:') {
    throw new TypeError(`${fn}: options.storePath must be the store file both sides use (not :memory:), or left out for their configured storage`);
  }
  return resolve(options.storePath);
}

/** Ingests `options.corpus` (if any) through the side in use now; returns a note per file that could not be ingested. */
async function ingestThrough(from: Runtime, options: ReindexOptions): Promise<string[]> {
  if (!options.corpus || options.corpus.length === 0) return [];
  const report = await from.pipeline.ingest(options.corpus, { ...(options.ingestWorkers !== undefined && { workers: options.ingestWorkers }) });
  return report.failed.map((f) => `Not ingested: ${f.source} (${f.code}: ${f.message}).`);
}

/**
 * Embeds the given chunks through the runtime's embedder and stores their vectors under its
 * identity, as `pipeline.indexVectors()` does for the chunks without one (same texts, input type
 * and batches), so a timed sample is part of the real work. Returns the number embedded.
 */
async function indexChunks(runtime: Runtime, embedder: EmbedderV1, chunkIds: readonly string[]): Promise<number> {
  const store = runtime.pipeline.store;
  const batchSize = Math.max(1, Math.min(embedder.maxBatchSize * 4, 256));
  let done = 0;
  for (let i = 0; i < chunkIds.length; i += batchSize) {
    const chunks = await store.getChunks(chunkIds.slice(i, i + batchSize));
    const { embeddings } = await embedder.embed({ texts: chunks.map(chunkModelText), inputType: 'document' });
    await store.putVectors({ identity: embedder.identity, entries: chunks.map((c, j) => ({ chunkId: c.id, vector: embeddings[j] as number[] })) });
    done += chunks.length;
  }
  return done;
}

/** The first model step of the embedder chain (the one that serves when all is well). */
function embedderStep(runtime: Runtime): { backend: string; modelId: string } | undefined {
  const step = runtime.parts().find((p) => p.part === 'embedder')?.steps[0];
  if (!step || step.backend === TERMINAL_BACKENDS.embedder || step.model === undefined) return undefined;
  return { backend: step.backend, modelId: step.model };
}

/** B's embedding cache as the plan sees it: only a cache file outlives a process. */
interface CacheLookup {
  kind: ReindexPlan['embeddingCache']['kind'];
  /** Why nothing can be found, when that is known without looking. */
  empty?: string;
  /** Whether the cache holds each chunk's vector. */
  holds(chunks: readonly Chunk[]): Promise<boolean[]>;
  close(): Promise<void>;
}

async function openCacheLookup(runtime: Runtime, side: CompareSide, identity: EmbedderIdentity): Promise<CacheLookup> {
  const cache = runtime.config.caches.embeddings;
  const none = async (chunks: readonly Chunk[]): Promise<boolean[]> => chunks.map(() => false);
  const nothing = async (): Promise<void> => undefined;
  if (!cache.enabled) return { kind: 'off', empty: 'the embedding cache is off: every chunk is embedded', holds: none, close: nothing };
  // The runtime's own file when the side gives one, as createRuntime uses it.
  const cachePath = side.runtime.embeddingCachePath ?? cache.path;
  if (!cachePath && runtime.config.storage.kind === 'postgres' && side.runtime.storePath === undefined) {
    return { kind: 'database', empty: 'the embedding cache is in the PostgreSQL database, which the plan does not look up: every chunk is counted', holds: none, close: nothing };
  }
  if (!cachePath || cachePath === ':memory:') {
    return { kind: 'memory', empty: 'the embedding cache lives in memory, so a new process starts with it empty: every chunk is embedded', holds: none, close: nothing };
  }
  const path = isAbsolute(cachePath) ? cachePath : resolve(side.runtime.baseDir ?? process.cwd(), cachePath);
  if (!existsSync(path)) return { kind: 'file', empty: `the embedding cache file ${cachePath} does not exist yet: every chunk is embedded`, holds: none, close: nothing };
  const store = openSqliteEmbeddingStore({ path });
  return {
    kind: 'file',
    async holds(chunks) {
      const found = await store.getMany(chunks.map((c) => embeddingCacheKey(identity, 'document', chunkModelText(c))));
      return chunks.map((_, i) => found[i] !== undefined);
    },
    close: async () => {
      await store.close?.();
    },
  };
}

/**
 * What switching from `from` to `to` costs in embeddings: the chunks of the store without a
 * vector for B's embedder identity, their estimated tokens (characters / 4), the price of those
 * not in B's embedding cache (B's price book), and the time to embed them, extrapolated from a
 * sample of `sampleChunks` chunks embedded through B (whose vectors are kept). With
 * `sampleChunks: 0` nothing is embedded and nothing written.
 */
export async function reindexPlan(options: ReindexOptions): Promise<ReindexPlan> {
  const storePath = checkReindexOptions(options, 'reindexPlan');
  const sampleChunks = options.sampleChunks ?? 8;
  if (!Number.isInteger(sampleChunks) || sampleChunks < 0) throw new RangeError(`reindexPlan: sampleChunks must be a whole number, got ${sampleChunks}`);

  const fromRuntime = await createRuntime({ ...options.from.runtime, ...(storePath && { storePath }) });
  const fromIdentity: EmbedderIdentity | undefined = fromRuntime.models.embedder?.identity;
  let ingestNotes: string[];
  try {
    ingestNotes = await ingestThrough(fromRuntime, options);
  } finally {
    await fromRuntime.close();
  }

  const runtime = await createRuntime({ ...options.to.runtime, ...(storePath && { storePath }) });
  try {
    const embedder = runtime.models.embedder;
    const identity = embedder?.identity;
    const step = embedderStep(runtime);
    const store = runtime.pipeline.store;
    const { chunks } = await store.stats();
    const notes: string[] = [...ingestNotes];
    const plan: ReindexPlan = {
      from: { name: options.from.name, embedderIdentity: fromIdentity ?? null },
      to: { name: options.to.name, embedderIdentity: identity ?? null, backend: step?.backend ?? null, modelId: step?.modelId ?? null },
      sameIdentity: fromIdentity !== undefined && identity !== undefined && sameEmbedderIdentity(fromIdentity, identity),
      chunks,
      chunksWithoutVectors: null,
      estimatedTokens: 0,
      embeddingCache: { kind: 'off', cachedChunks: 0, note: 'no embedder' },
      cost: { state: 'none', usd: 0, basis: 'nothing to embed' },
      time: { ms: 0, basis: 'nothing to embed' },
      sample: null,
      notes,
    };
    if (!embedder || !identity) {
      notes.push(`${options.to.name} has no embedder (keyword retrieval only): there is nothing to index.`);
      return plan;
    }
    if (plan.sameIdentity) notes.push(`${options.to.name} stores vectors under the same embedder identity as ${options.from.name}: its vectors serve both.`);

    const missing = await store.chunksWithoutVectors(identity);
    plan.chunksWithoutVectors = missing.length;
    let chars = 0;
    let unpaidChars = 0;
    const cached = new Set<string>();
    const cache = await openCacheLookup(runtime, options.to, identity);
    try {
      for (let i = 0; i < missing.length; i += READ_BATCH) {
        const batch = await store.getChunks(missing.slice(i, i + READ_BATCH));
        const held = await cache.holds(batch);
        batch.forEach((chunk, j) => {
          chars += chunk.text.length;
          if (held[j]) cached.add(chunk.id);
          else unpaidChars += chunk.text.length;
        });
      }
    } finally {
      await cache.close();
    }
    plan.embeddingCache = {
      kind: cache.kind,
      cachedChunks: cached.size,
      note: cache.empty ?? `the embedding cache file holds ${cached.size} of the ${missing.length} vectors: those are free`,
    };
    if (missing.length === 0) {
      notes.push(`Every chunk already has a vector for ${options.to.name}'s embedder.`);
      return plan;
    }
    plan.estimatedTokens = Math.ceil(chars / 4);
    const tokensToPay = Math.ceil(unpaidChars / 4);

    if (!step) {
      plan.cost = { state: 'unknown', usd: null, basis: `${options.to.name}'s embedder chain names no model to price` };
    } else {
      // One request per maxBatchSize chunks, as the adapters batch them (for prices per request).
      const requests = Math.ceil((missing.length - cached.size) / Math.max(1, runtime.models.embedder?.maxBatchSize ?? 1));
      const quote = runtime.monitor.prices.quote({ backend: step.backend, modelId: step.modelId, inputTokens: tokensToPay, outputTokens: 0, requests });
      const what = `${tokensToPay} tokens (${missing.length - cached.size} chunks not in the cache) at ${step.backend} ${step.modelId}`;
      if (quote.state === 'priced' || quote.state === 'estimated') {
        const p = quote.price;
        const rates = [
          p.inputPerMillion !== undefined && `$${p.inputPerMillion} per million input tokens`,
          p.perRequest !== undefined && `$${p.perRequest} per request (${requests} requests)`,
          p.perHour !== undefined && `$${p.perHour} per endpoint hour (not counted: it depends on the uptime)`,
        ].filter(Boolean);
        plan.cost = { state: 'priced', usd: quote.costUsd, basis: `${what}: ${rates.join(' + ')}${quote.state === 'estimated' ? ` (${quote.reason})` : ''}` };
      } else if (quote.state === 'local') {
        plan.cost = { state: 'local', usd: 0, basis: `${what}: a local backend, free` };
      } else {
        plan.cost = { state: 'unknown', usd: null, basis: `${what}: ${quote.reason}` };
        notes.push(`The cost is unknown: ${quote.reason}. Add a price to ${options.to.name}'s runtime (prices.overrides) to estimate it.`);
      }
      if ((runtime.parts().find((p) => p.part === 'embedder')?.steps.length ?? 0) > 2) {
        notes.push('The cost and time assume the first step of the embedder chain serves every call.');
      }
    }

    if (sampleChunks === 0) {
      plan.time = { ms: null, basis: 'not estimated: no sample was embedded (sampleChunks: 0)' };
      return plan;
    }
    // Time a sample of chunks the cache does not hold, so it measures real embedding calls.
    const uncached = missing.filter((id) => !cached.has(id));
    const sampleIds = (uncached.length > 0 ? uncached : missing).slice(0, sampleChunks);
    const ledgerFrom = Date.now();
    const began = performance.now();
    let embedded = 0;
    try {
      embedded = await indexChunks(runtime, embedder, sampleIds);
    } catch (error) {
      notes.push(`Embedding the sample failed (${describeError(error)}): ${options.to.name}'s embedder does not work here.`);
    }
    const ms = performance.now() - began;
    await runtime.monitor.flush();
    const totals = await runtime.monitor.ledger.totals({ from: ledgerFrom, operation: 'embed' });
    plan.sample = { chunks: embedded, ms, costUsd: totals.costUsd, unpricedCalls: totals.unpricedCalls };
    if (embedded === 0) {
      plan.time = { ms: null, basis: 'not estimated: the sample could not be embedded' };
      return plan;
    }
    const kept = `The sample's vectors are kept: ${missing.length - embedded} chunks remain.`;
    if (uncached.length === 0) {
      plan.time = {
        ms: (ms / embedded) * missing.length,
        basis: `every vector is in the embedding cache: ${embedded} chunks served from it in ${ms.toFixed(0)} ms, extrapolated linearly to ${missing.length}. ${kept}`,
      };
      return plan;
    }
    plan.time = {
      ms: (ms / embedded) * uncached.length,
      basis:
        `${embedded} chunks embedded through ${step ? `${step.backend} ${step.modelId}` : options.to.name} in ${ms.toFixed(0)} ms, ` +
        `extrapolated linearly to the ${uncached.length} chunks not in the cache; larger batches are usually faster per chunk. ${kept}`,
    };
    return plan;
  } finally {
    await runtime.close();
  }
}

/**
 * Gives every chunk of the store a vector for B's embedder identity: B's `pipeline.indexVectors()`,
 * which embeds only the chunks that have none (so a second run embeds nothing). Cache hits and the
 * cost come from B's usage ledger.
 */
export async function applyReindex(options: ReindexOptions & { onProgress?: (progress: { done: number; total: number }) => void }): Promise<ReindexResult> {
  const storePath = checkReindexOptions(options, 'applyReindex');
  if (options.corpus && options.corpus.length > 0) {
    const fromRuntime = await createRuntime({ ...options.from.runtime, ...(storePath && { storePath }) });
    try {
      await ingestThrough(fromRuntime, options);
    } finally {
      await fromRuntime.close();
    }
  }
  const runtime = await createRuntime({ ...options.to.runtime, ...(storePath && { storePath }) });
  try {
    const ledgerFrom = Date.now();
    const began = performance.now();
    const embedded = await runtime.pipeline.indexVectors(options.onProgress ? { onProgress: options.onProgress } : {});
    const ms = performance.now() - began;
    await runtime.monitor.flush();
    const totals = await runtime.monitor.ledger.totals({ from: ledgerFrom, operation: 'embed' });
    return { embedded, cacheHits: totals.cachedItems, ms, costUsd: totals.costUsd, unpricedCalls: totals.unpricedCalls };
  } finally {
    await runtime.close();
  }
}
