import type { Answer, ChatModelV1, DocumentStore, EmbedderV1, RerankerV1 } from '@ragbridge/core-interfaces';
import { createAnswerer, type AnswerStreamPart } from './answer/answerer.js';
import { ingestPaths, type IngestOptions, type IngestReport } from './ingest/ingest.js';
import { createRetriever, type RetrievalResult, type RetrieverOptions } from './retrieval/retriever.js';
import { openSqliteStore } from './store/sqlite-store.js';

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /** A store, or a SQLite file path for the embedded default. */
  store: DocumentStore | string;
  /** With a file path: rebuild a store written by an older schema instead of refusing it. @default false */
  rebuildOnSchemaChange?: boolean;
  /** Enables dense retrieval (vectors are computed at ingest and kept per model identity). */
  embedder?: EmbedderV1;
  /** Rescores the top candidates. */
  reranker?: RerankerV1;
  /** Writes answers; without it answers are extractive. */
  chatModel?: ChatModelV1;
  retrieval?: Omit<RetrieverOptions, 'store' | 'embedder' | 'reranker'>;
  /** Sources per answer. @default 5 */
  sources?: number;
  /** Evidence coverage below which the pipeline refuses. */
  refusalThreshold?: number;
}

/** An answer with the retrieval that produced it. */
export interface PipelineAnswer {
  answer: Answer;
  retrieval: RetrievalResult;
  /** Milliseconds: retrieval and answering. */
  ms: { retrieve: number; answer: number };
}

/** Progress of vector indexing. */
export interface EmbedProgress {
  done: number;
  total: number;
}

/** Ingest, retrieve and answer over one store. */
export interface Pipeline {
  readonly store: DocumentStore;
  /** Ingests files and folders, then embeds new chunks when an embedder is configured. */
  ingest(paths: readonly string[], options?: Omit<IngestOptions, 'store'> & { onEmbedProgress?: (p: EmbedProgress) => void }): Promise<IngestReport & { embedded: number }>;
  /** Embeds every chunk that has no vector for the configured embedder yet. */
  indexVectors(options?: { batchSize?: number; onProgress?: (p: EmbedProgress) => void; abortSignal?: AbortSignal }): Promise<number>;
  retrieve(question: string, options?: { k?: number; abortSignal?: AbortSignal }): Promise<RetrievalResult>;
  ask(question: string, options?: { k?: number; abortSignal?: AbortSignal }): Promise<PipelineAnswer>;
  askStream(question: string, options?: { k?: number; abortSignal?: AbortSignal }): AsyncIterable<AnswerStreamPart | { type: 'retrieval'; retrieval: RetrievalResult }>;
  close(): Promise<void>;
}

/** Composes store, retriever and answerer into the question-answering pipeline. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const ownsStore = typeof options.store === 'string';
  const store =
    typeof options.store === 'string'
      ? openSqliteStore({ path: options.store, ...(options.rebuildOnSchemaChange !== undefined && { rebuildOnSchemaChange: options.rebuildOnSchemaChange }) })
      : options.store;
  const names = new Map<string, string>();
  const retriever = createRetriever({
    ...options.retrieval,
    store,
    ...(options.embedder && { embedder: options.embedder }),
    ...(options.reranker && { reranker: options.reranker }),
  });
  const refreshNames = async (): Promise<void> => {
    names.clear();
    for (const doc of await store.listDocuments()) names.set(doc.id, doc.name);
  };
  const answerer = createAnswerer({
    ...(options.chatModel && { chatModel: options.chatModel }),
    ...(options.sources !== undefined && { sources: options.sources }),
    ...(options.refusalThreshold !== undefined && { refusalThreshold: options.refusalThreshold }),
    documentName: (id) => names.get(id) ?? id,
  });
  let namesLoaded = false;
  const ensureNames = async (): Promise<void> => {
    if (!namesLoaded) await refreshNames();
    namesLoaded = true;
  };

  const pipeline: Pipeline = {
    store,
    async indexVectors(call = {}) {
      const embedder = options.embedder;
      if (!embedder) return 0;
      const missing = await store.chunksWithoutVectors(embedder.identity);
      const batchSize = call.batchSize ?? Math.max(1, Math.min(embedder.maxBatchSize * 4, 256));
      let done = 0;
      for (let i = 0; i < missing.length; i += batchSize) {
        const chunks = await store.getChunks(missing.slice(i, i + batchSize));
        const result = await embedder.embed({
          texts: chunks.map((c) => [...c.sectionPath.slice(-1), c.text].join('\n')),
          inputType: 'document',
          ...(call.abortSignal && { abortSignal: call.abortSignal }),
        });
        await store.putVectors({ identity: embedder.identity, entries: chunks.map((c, j) => ({ chunkId: c.id, vector: result.embeddings[j] as number[] })) });
        done += chunks.length;
        call.onProgress?.({ done, total: missing.length });
      }
      return done;
    },
    async ingest(paths, ingestOptions = {}) {
      const report = await ingestPaths(paths, { ...ingestOptions, store });
      await refreshNames();
      namesLoaded = true;
      const embedded = await pipeline.indexVectors(ingestOptions.onEmbedProgress ? { onProgress: ingestOptions.onEmbedProgress } : {});
      return { ...report, embedded };
    },
    async retrieve(question, call = {}) {
      return retriever.retrieve(question, call);
    },
    async ask(question, call = {}) {
      await ensureNames();
      const t0 = performance.now();
      const retrieval = await retriever.retrieve(question, call);
      const t1 = performance.now();
      const answer = await answerer.answer(question, retrieval.hits, retrieval.evidence, call);
      answer.usage.unshift(...retrieval.usage);
      return { answer, retrieval, ms: { retrieve: t1 - t0, answer: performance.now() - t1 } };
    },
    async *askStream(question, call = {}) {
      await ensureNames();
      const retrieval = await retriever.retrieve(question, call);
      yield { type: 'retrieval', retrieval };
      for await (const part of answerer.stream(question, retrieval.hits, retrieval.evidence, call)) {
        if (part.type === 'answer') part.answer.usage.unshift(...retrieval.usage);
        yield part;
      }
    },
    async close() {
      if (ownsStore) await store.close();
    },
  };
  return pipeline;
}
