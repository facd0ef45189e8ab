import {
  BadInputError,
  createUsageEvent,
  delegateEmbedder,
  embedderIdentityKey,
  InvalidResponseError,
  throwIfAborted,
  type EmbedOptions,
  type EmbedResult,
  type EmbedderIdentity,
  type EmbedderV1,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { clockSchema, parseOptions, systemClock } from './internal/options.js';
import { CacheCounter, type CacheStats } from './cache-stats.js';
import type { EmbeddingCacheStore } from './embedding-store.js';

const embeddingCacheOptionsSchema = z.strictObject({
  /** Where vectors are kept: `openSqliteEmbeddingStore()` (persistent) or `createMemoryEmbeddingStore()`. */
  store: z.custom<EmbeddingCacheStore>(
    (v) => typeof v === 'object' && v !== null && typeof (v as EmbeddingCacheStore).getMany === 'function',
    'must be an EmbeddingCacheStore',
  ),
  /** Called with the usage event of the texts a call served from the cache (e.g. `monitor.record`). */
  onHit: z.custom<(usage: UsageEvent) => void>((v) => typeof v === 'function', 'must be a function').optional(),
  /** @default the system clock */
  clock: clockSchema.optional(),
});

/** Options of {@link createEmbeddingCache}. */
export type EmbeddingCacheOptions = z.input<typeof embeddingCacheOptionsSchema>;

/** An embedder with a cache in front; the same contract plus hit counts. */
export interface CachedEmbedder extends EmbedderV1 {
  /** Texts served from the cache (hits) and sent to the backend (misses) since creation. */
  stats(): CacheStats;
  /** The wrapped embedder. */
  readonly inner: EmbedderV1;
}

/**
 * The cache key of one text: a SHA-256 of the embedder identity (`embedderIdentityKey`), the
 * input type and the text. Switching model, revision, pooling, prefixes or dimensions changes
 * every key, so vectors of two models never mix.
 */
export function embeddingCacheKey(identity: EmbedderIdentity, inputType: 'query' | 'document', text: string): string {
  return keyOf(embedderIdentityKey(identity), inputType, text);
}

function keyOf(identityKey: string, inputType: string, text: string): string {
  return createHash('sha256').update(identityKey).update('\u0000').update(inputType).update('\u0000').update(text).digest('base64url');
}

/**
 * Wraps any {@link EmbedderV1} with a per-text cache keyed by model identity and text hash.
 * Only the texts not in the cache go to the backend (each distinct text once), and every vector
 * is put back at its input position. A call served entirely from the cache reports a usage event
 * with `cacheHit: true`, zero tokens and zero cost.
 */
export function createEmbeddingCache(embedder: EmbedderV1, options: EmbeddingCacheOptions): CachedEmbedder {
  const parsed = parseOptions(embeddingCacheOptionsSchema, options, 'createEmbeddingCache');
  const { store, onHit } = parsed;
  const clock = parsed.clock ?? systemClock;
  const counter = new CacheCounter();

  const hitEvent = (items: number, startedAt: number, began: number): UsageEvent =>
    createUsageEvent({
      backend: embedder.backend,
      modelId: embedder.modelId,
      operation: 'embed',
      inputTokens: 0,
      items,
      startedAt,
      latencyMs: performance.now() - began,
      cacheHit: true,
      costUsd: 0,
    });

  async function embed(call: EmbedOptions): Promise<EmbedResult> {
    const target = { backend: embedder.backend, modelId: embedder.modelId };
    throwIfAborted(call.abortSignal, target);
    const texts = call.texts;
    if (texts.length === 0) return embedder.embed(call);
    const empty = texts.findIndex((t) => t.length === 0);
    if (empty >= 0) throw new BadInputError({ ...target, message: `texts[${empty}] is empty` });

    const began = performance.now();
    const startedAt = clock.now();
    const inputType = call.inputType ?? 'document';
    const identityKey = embedderIdentityKey(embedder.identity);
    const keys = texts.map((t) => keyOf(identityKey, inputType, t));
    const found = await store.getMany(keys);
    const vectors: Array<number[] | undefined> = [...found];

    // Each distinct missing text goes to the backend once; duplicates share its vector.
    const missing = new Map<string, { text: string; positions: number[] }>();
    for (let i = 0; i < texts.length; i++) {
      if (vectors[i] !== undefined) continue;
      const key = keys[i] as string;
      const slot = missing.get(key);
      if (slot) slot.positions.push(i);
      else missing.set(key, { text: texts[i] as string, positions: [i] });
    }
    counter.hits += texts.length - missing.size;
    counter.misses += missing.size;

    if (missing.size === 0) {
      const usage = hitEvent(texts.length, startedAt, began);
      onHit?.(usage);
      return { embeddings: vectors as number[][], usage };
    }

    const slots = [...missing.entries()];
    const result = await embedder.embed({
      texts: slots.map(([, s]) => s.text),
      inputType,
      ...(call.abortSignal && { abortSignal: call.abortSignal }),
    });
    if (result.embeddings.length !== slots.length) {
      throw new InvalidResponseError({
        ...target,
        message: `The embedder returned ${result.embeddings.length} vectors for ${slots.length} texts`,
      });
    }
    await store.putMany(slots.map(([key], i) => ({ key, identityKey, vector: result.embeddings[i] as number[] })));
    slots.forEach(([, slot], i) => {
      const vector = result.embeddings[i] as number[];
      slot.positions.forEach((position, n) => (vectors[position] = n === 0 ? vector : vector.slice()));
    });

    const served = texts.length - slots.length;
    if (served > 0) onHit?.(hitEvent(served, startedAt, began));
    return {
      embeddings: vectors as number[][],
      usage: { ...result.usage, items: texts.length, latencyMs: performance.now() - began, cacheHit: false },
    };
  }

  return delegateEmbedder(embedder, embed, { inner: embedder, stats: () => counter.snapshot() });
}
