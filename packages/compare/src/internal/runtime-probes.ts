import { redactSecrets, type DocumentStore, type EmbedderIdentity, type ScoredId, type VectorQuery } from '@ragbridge/core-interfaces';
import type { Runtime, RuntimeOptions } from '@ragbridge/runtime';

// The runtime hands out its pipeline (and the pipeline its store) but not the embedder or the
// reranker inside. What the comparison needs from the embedder, it observes at the store, the one
// seam the public API reaches: the identity the pipeline indexes under (`chunksWithoutVectors`)
// and the query vector of a dense search (`searchVectors`). Only runtimes this package created
// are observed, each method is put back afterwards, and a refactor that stops going through the
// store shows up as "not measured" notes, not as wrong numbers. Once the runtime exposes its
// models (e.g. `runtime.models.embedder`), this file can go.

type Pipeline = Runtime['pipeline'];
type StoreMethod = 'chunksWithoutVectors' | 'searchVectors';

/** Replaces one method of the store; the returned function puts the original back. */
function replaceMethod<M extends StoreMethod>(store: DocumentStore, name: M, replacement: DocumentStore[M]): () => void {
  const own = Object.prototype.hasOwnProperty.call(store, name);
  const original = store[name];
  store[name] = replacement;
  return () => {
    if (own) store[name] = original;
    else delete (store as Partial<DocumentStore>)[name];
  };
}

/**
 * The embedder identity the pipeline stores vectors under, without embedding anything:
 * `indexVectors()` is run with `chunksWithoutVectors` answering "none", which it asks with the
 * identity first. `undefined` when the pipeline has no embedder (it then never asks).
 */
export async function embedderIdentityOf(pipeline: Pipeline): Promise<EmbedderIdentity | undefined> {
  const store = pipeline.store;
  let identity: EmbedderIdentity | undefined;
  const restore = replaceMethod(store, 'chunksWithoutVectors', async (asked) => {
    identity ??= asked;
    return [];
  });
  try {
    await pipeline.indexVectors();
  } finally {
    restore();
  }
  return identity;
}

/**
 * Runs the pipeline's own `indexVectors()` on the given chunks only (a timed sample), so they are
 * embedded exactly as a full indexing would embed them. Returns the number embedded.
 */
export async function indexChunks(pipeline: Pipeline, chunkIds: readonly string[]): Promise<number> {
  const restore = replaceMethod(pipeline.store, 'chunksWithoutVectors', async () => [...chunkIds]);
  try {
    return await pipeline.indexVectors();
  } finally {
    restore();
  }
}

/** Watches the dense searches a pipeline makes, to learn the query vector of a question. */
export interface DenseQueryWatch {
  /** Starts listening: the next dense search is kept. */
  arm(): void;
  /** Stops listening and returns the kept search (identity and query vector), if one happened. */
  take(): VectorQuery | undefined;
  /** A dense search of the store, not observed. */
  search(query: VectorQuery): Promise<ScoredId[]>;
  /** Puts the store's method back. */
  restore(): void;
}

/** Observes `searchVectors` on the pipeline's store (see the note at the top of this file). */
export function watchDenseQueries(pipeline: Pipeline): DenseQueryWatch {
  const store = pipeline.store;
  const original = store.searchVectors;
  let armed = false;
  let kept: VectorQuery | undefined;
  const restore = replaceMethod(store, 'searchVectors', async (query) => {
    if (armed && !kept) kept = { identity: query.identity, vector: Array.from(query.vector), limit: query.limit };
    return original.call(store, query);
  });
  return {
    arm() {
      armed = true;
      kept = undefined;
    },
    take() {
      armed = false;
      const taken = kept;
      kept = undefined;
      return taken;
    },
    search: (query) => original.call(store, query),
    restore,
  };
}

/** Highest process RSS seen between start and `stop()`, sampled every `intervalMs`. */
export function sampleRss(intervalMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak;
    },
  };
}

type ResilienceListener = NonNullable<RuntimeOptions['onResilienceEvent']>;

/** Counts failed chain steps from the runtime's resilience events, passing every event on to the caller's listener. */
export function failedStepCounter(listener: ResilienceListener | undefined): {
  onEvent: ResilienceListener;
  failures(): Array<{ operation: string; step: string; error: string; count: number }>;
} {
  const counts = new Map<string, { operation: string; step: string; error: string; count: number }>();
  return {
    onEvent(event) {
      if (event.type === 'step-failed') {
        const error = event.error instanceof Error ? event.error.name : typeof event.error;
        const id = `${event.operation}\u0000${event.key}\u0000${error}`;
        const entry = counts.get(id) ?? { operation: event.operation, step: event.key, error, count: 0 };
        entry.count++;
        counts.set(id, entry);
      }
      listener?.(event);
    },
    failures: () => [...counts.values()],
  };
}

/** A failure as one line for notes: the error's name and message, with registered secrets redacted. */
export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
