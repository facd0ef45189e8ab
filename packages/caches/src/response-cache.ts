import {
  createUsageEvent,
  throwIfAborted,
  type ChatCallOptions,
  type ChatModelV1,
  type ChatResult,
  type ChatStreamPart,
  type FinishReason,
  type UsageEvent,
} from '@ragbridge/core-interfaces';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { clockSchema, parseOptions, systemClock } from './internal/options.js';
import { CacheCounter, type CacheStats } from './cache-stats.js';

/** A cached reply. */
export interface ResponseCacheEntry {
  text: string;
  finishReason: FinishReason;
  /** Epoch ms after which the entry is stale. */
  expiresAt: number;
}

/** Where a response cache keeps replies. */
export interface ResponseCacheStore {
  get(key: string): ResponseCacheEntry | undefined | Promise<ResponseCacheEntry | undefined>;
  set(key: string, entry: ResponseCacheEntry): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  close?(): void | Promise<void>;
}

const memoryOptionsSchema = z.strictObject({
  /** Most replies kept; the least recently used go first. @default 1000 */
  maxEntries: z.number().int().positive().optional(),
});

/** Options of {@link createMemoryResponseStore}. */
export type MemoryResponseStoreOptions = z.input<typeof memoryOptionsSchema>;

/** An in-process LRU {@link ResponseCacheStore}. */
export function createMemoryResponseStore(options: MemoryResponseStoreOptions = {}): ResponseCacheStore {
  const maxEntries = parseOptions(memoryOptionsSchema, options, 'createMemoryResponseStore').maxEntries ?? 1000;
  const entries = new Map<string, ResponseCacheEntry>();
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
      }
      return hit;
    },
    set(key, entry) {
      entries.delete(key);
      entries.set(key, entry);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    delete(key) {
      entries.delete(key);
    },
  };
}

const sqliteOptionsSchema = z.strictObject({
  /** Database file; `:memory:` for tests. */
  path: z.string().min(1),
});

/** Options of {@link openSqliteResponseStore}. */
export type SqliteResponseStoreOptions = z.input<typeof sqliteOptionsSchema>;

/** A persistent {@link ResponseCacheStore} in SQLite. */
export function openSqliteResponseStore(options: SqliteResponseStoreOptions): ResponseCacheStore & { close(): void } {
  const parsed = parseOptions(sqliteOptionsSchema, options, 'openSqliteResponseStore');
  const db = new Database(parsed.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS response_cache (
    key TEXT PRIMARY KEY, text TEXT NOT NULL, finish_reason TEXT NOT NULL, expires_at INTEGER NOT NULL
  ) WITHOUT ROWID`);
  const get = db.prepare<[string], { text: string; finish_reason: string; expires_at: number }>(
    'SELECT text, finish_reason, expires_at FROM response_cache WHERE key = ?',
  );
  const set = db.prepare('INSERT OR REPLACE INTO response_cache (key, text, finish_reason, expires_at) VALUES (?, ?, ?, ?)');
  const del = db.prepare('DELETE FROM response_cache WHERE key = ?');
  return {
    get(key) {
      const row = get.get(key);
      return row && { text: row.text, finishReason: row.finish_reason as FinishReason, expiresAt: row.expires_at };
    },
    set(key, entry) {
      set.run(key, entry.text, entry.finishReason, Math.round(entry.expiresAt));
    },
    delete(key) {
      del.run(key);
    },
    close() {
      if (db.open) db.close();
    },
  };
}

const responseCacheOptionsSchema = z.strictObject({
  /** @default an in-memory LRU of 1000 replies */
  store: z
    .custom<ResponseCacheStore>((v) => typeof (v as ResponseCacheStore)?.get === 'function', 'must be a ResponseCacheStore')
    .optional(),
  /** How long a reply stays valid. @default 86_400_000 (one day) */
  ttlMs: z.number().int().positive().optional(),
  /** Called with the usage event of every call answered from the cache (e.g. `monitor.record`). */
  onHit: z.custom<(usage: UsageEvent) => void>((v) => typeof v === 'function', 'must be a function').optional(),
  /** @default the system clock */
  clock: clockSchema.optional(),
});

/** Options of {@link createResponseCache}. */
export type ResponseCacheOptions = z.input<typeof responseCacheOptionsSchema>;

/** A chat model with an exact response cache in front; the same contract plus hit counts. */
export interface CachedChatModel extends ChatModelV1 {
  /** Calls answered from the cache (hits) and by the model (misses) since creation. */
  stats(): CacheStats;
  readonly inner: ChatModelV1;
}

/** The cache key of a call: model, every message, and the sampling parameters (not the abort signal). */
export function responseCacheKey(model: { backend: string; modelId: string }, call: ChatCallOptions): string {
  const material = JSON.stringify([
    1,
    model.backend,
    model.modelId,
    call.messages.map((m) => [m.role, m.content]),
    call.maxTokens ?? null,
    call.temperature ?? null,
    call.stop ?? null,
    call.seed ?? null,
  ]);
  return createHash('sha256').update(material).digest('base64url');
}

/**
 * Wraps any {@link ChatModelV1} with an exact response cache: the same model, messages and
 * parameters within the TTL get the stored reply without calling the model, with a usage event
 * marked `cacheHit: true` (zero tokens, zero cost). Streams are cached when they finish and
 * replayed as one text delta and a finish part.
 */
export function createResponseCache(model: ChatModelV1, options: ResponseCacheOptions = {}): CachedChatModel {
  const parsed = parseOptions(responseCacheOptionsSchema, options, 'createResponseCache');
  const store = parsed.store ?? createMemoryResponseStore();
  const ttlMs = parsed.ttlMs ?? 86_400_000;
  const clock = parsed.clock ?? systemClock;
  const onHit = parsed.onHit;
  const counter = new CacheCounter();
  const target = (): { backend: string; modelId: string } => ({ backend: model.backend, modelId: model.modelId });

  async function lookup(call: ChatCallOptions): Promise<{ key: string; entry: ResponseCacheEntry | undefined }> {
    const key = responseCacheKey(model, call);
    if (!Array.isArray(call.messages) || call.messages.length === 0) return { key, entry: undefined };
    const entry = await store.get(key);
    if (entry && entry.expiresAt <= clock.now()) {
      await store.delete(key);
      return { key, entry: undefined };
    }
    return { key, entry };
  }

  const hitUsage = (streamed: boolean, startedAt: number, began: number): UsageEvent => {
    const usage = createUsageEvent({
      backend: model.backend,
      modelId: model.modelId,
      operation: 'chat',
      streamed,
      inputTokens: 0,
      startedAt,
      latencyMs: performance.now() - began,
      cacheHit: true,
      costUsd: 0,
    });
    onHit?.(usage);
    return usage;
  };

  const remember = (key: string, text: string, finishReason: FinishReason): void | Promise<void> =>
    store.set(key, { text, finishReason, expiresAt: clock.now() + ttlMs });

  return {
    specificationVersion: 'v1',
    get backend() {
      return model.backend;
    },
    get modelId() {
      return model.modelId;
    },
    inner: model,
    stats: () => counter.snapshot(),
    async generate(call): Promise<ChatResult> {
      throwIfAborted(call.abortSignal, target());
      const began = performance.now();
      const startedAt = clock.now();
      const { key, entry } = await lookup(call);
      if (entry) {
        counter.hits++;
        return { text: entry.text, finishReason: entry.finishReason, usage: hitUsage(false, startedAt, began) };
      }
      counter.misses++;
      const result = await model.generate(call);
      await remember(key, result.text, result.finishReason);
      return result;
    },
    stream(call): AsyncIterable<ChatStreamPart> {
      return {
        async *[Symbol.asyncIterator]() {
          throwIfAborted(call.abortSignal, target());
          const began = performance.now();
          const startedAt = clock.now();
          const { key, entry } = await lookup(call);
          if (entry) {
            counter.hits++;
            yield { type: 'text-delta', delta: entry.text };
            throwIfAborted(call.abortSignal, target());
            yield { type: 'finish', finishReason: entry.finishReason, usage: hitUsage(true, startedAt, began) };
            return;
          }
          counter.misses++;
          let text = '';
          for await (const part of model.stream(call)) {
            if (part.type === 'text-delta') text += part.delta;
            else await remember(key, text, part.finishReason);
            yield part;
          }
        },
      };
    },
  };
}
